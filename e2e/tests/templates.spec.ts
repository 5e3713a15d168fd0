import { expect, test } from '@playwright/test';
import { enrichedLead, signUp } from '../api';

// Write a template with the variable picker, watch the live preview for a real lead,
// save it, and copy a system template to edit.
test('create a template with the picker and a live preview, then duplicate a system one', async ({ page, request }) => {
  const stamp = Date.now();
  const email = `modelos.${stamp}@modelos${stamp}.com.br`;
  const auth = await signUp(request, 'Redatora', email, 'senha-modelos-1');
  // A lead the fake BrasilAPI enriches (SJ OBRAS, São Paulo/SP).
  await enrichedLead(request, auth, '11.222.333/0001-81');

  await page.goto('/entrar');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Senha').fill('senha-modelos-1');
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.getByRole('navigation', { name: 'Navegação principal' }).getByRole('link', { name: 'Templates' }).click();
  await expect(page.getByRole('heading', { name: 'Templates', level: 1 })).toBeVisible();
  // The system templates are there, marked and not deletable.
  const system = page.getByRole('row').filter({ hasText: 'Sistema' }).first();
  await expect(system).toBeVisible();
  await expect(system.getByRole('button', { name: /^Excluir/ })).toHaveCount(0);

  await page.getByRole('link', { name: 'Novo template' }).click();
  await expect(page.getByRole('heading', { name: 'Novo template' })).toBeVisible();
  await page.getByLabel('Nome', { exact: true }).fill('Abertura Campinas');
  const preview = page.getByRole('region', { name: 'Prévia' });
  const body = page.getByLabel('Mensagem', { exact: true });

  // Before any subject is written, the body already previews (with example values).
  await body.fill('Olá 😀! Vi que a  fica em {{cidade}}/{{uf}}.');
  await expect(preview.locator('.preview-body')).toContainText('fica em Campinas/SP.');
  await expect(preview.locator('.preview-subject')).toHaveCount(0);

  // The picker inserts at the caret, after an emoji too, and typing goes on from there.
  const at = 'Olá 😀! Vi que a '.length;
  await body.evaluate((el, at) => (el as HTMLTextAreaElement).setSelectionRange(at, at), at);
  await page.getByRole('button', { name: /^Inserir razao_social / }).click();
  await body.pressSequentially(' (SP)');
  await expect(body).toHaveValue('Olá 😀! Vi que a {{razao_social}} (SP) fica em {{cidade}}/{{uf}}.');

  // The preview names an unknown variable before anything is saved.
  await body.press('End');
  await body.pressSequentially(' {{desconhecida}}');
  await expect(preview.locator('.preview-error')).toContainText('desconhecida');
  await body.fill('Olá! Vi que a {{razao_social}} fica em {{cidade}}/{{uf}}. {{primeiro_socio|"Pessoal"}}, podemos conversar?');

  await page.getByLabel('Assunto', { exact: true }).fill('Uma ideia para ');
  await page.getByRole('button', { name: /^Inserir nome_fantasia / }).click();
  await expect(page.getByLabel('Assunto', { exact: true })).toHaveValue('Uma ideia para {{nome_fantasia}}');

  // Rendered for the enriched lead.
  await preview.getByLabel('Prévia para').selectOption({ label: 'SJ OBRAS' });
  // Company and people names are written as people write them, not in capitals.
  await expect(preview.locator('.preview-body')).toHaveText('Olá! Vi que a Construtora Sao Joao LTDA fica em Sao Paulo/SP. Maria da Silva, podemos conversar?');
  await expect(preview.locator('mark.pv-value').filter({ hasText: 'Construtora Sao Joao LTDA' })).toHaveAttribute('title', 'razao_social');

  await page.getByRole('button', { name: 'Criar template' }).click();
  await expect(page.getByRole('heading', { name: 'Editar: Abertura Campinas' })).toBeVisible();
  await page.getByLabel('Nome', { exact: true }).fill('Abertura Campinas v2');
  await page.getByRole('button', { name: 'Salvar alterações' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Template salvo.' })).toBeVisible();

  await page.getByRole('link', { name: '← Templates' }).click();
  const mine = page.getByRole('row').filter({ hasText: 'Abertura Campinas v2' });
  await expect(mine).toContainText('{{razao_social}}');
  await expect(mine).toContainText('{{cidade}}');

  // A system template is copied to be edited.
  const systemName = (await system.getByRole('link').innerText()).trim();
  await system.getByRole('button', { name: `Duplicar ${systemName}` }).click();
  await expect(page.getByRole('heading', { name: `Editar: Cópia de ${systemName}` })).toBeVisible();
  await expect(page.getByLabel('Mensagem', { exact: true })).not.toHaveValue('');
});
