import { expect, test } from '@playwright/test';

// Import a CSV through the wizard and watch the leads become enriched live.
test('import a CSV, review the preview, follow progress and see leads enriched', async ({ page, request }) => {
  const stamp = Date.now();
  const email = `sdr.import.${stamp}@import${stamp}.com.br`;
  const signup = await request.post('/api/v1/auth/signup', {
    data: { name: 'Importadora', email, password: 'senha-import-1' },
  });
  expect(signup.status()).toBe(201);

  await page.goto('/entrar');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Senha').fill('senha-import-1');
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.getByRole('navigation', { name: 'Navegação principal' }).getByRole('link', { name: 'Leads' }).click();
  await expect(page.getByText('Nenhum lead encontrado')).toBeVisible();

  await page.getByRole('link', { name: 'Importar CSV' }).click();
  await expect(page.getByRole('heading', { name: 'Importar leads' })).toBeVisible();
  // Excel pt-BR style: `;`, masked CNPJs, one invalid row.
  const csv = 'CNPJ;Razão Social;E-mail\r\n11.222.333/0001-81;Construtora;contato@sj.com.br\r\n12.ABC.345/01DE-35;Padaria;\r\n11.222.333/0001-82;Errada;\r\n';
  await page.locator('#csv-file').setInputFiles({ name: 'leads.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf-8') });

  await expect(page.getByRole('heading', { name: 'Conferir “leads.csv”' })).toBeVisible();
  const invalid = page.locator('tr.invalid');
  await expect(invalid).toHaveCount(1);
  await expect(invalid).toContainText('dígitos verificadores');

  await page.getByRole('button', { name: 'Importar', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Importação concluída' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: '3 de 3 linhas' })).toContainText('2 leads criados · 1 com erro');
  await expect(page.getByRole('cell', { name: 'CNPJ inválido: dígitos verificadores do CNPJ não conferem' })).toBeVisible();

  await page.getByRole('link', { name: 'Ver leads importados' }).click();
  // Enrichment runs in the background; the table updates itself from the event stream.
  const construtora = page.locator('tr[data-cnpj="11222333000181"]');
  await expect(construtora).toContainText('CONSTRUTORA SAO JOAO LTDA', { timeout: 20_000 });
  await expect(construtora.locator('[data-enrichment="Enriched"]')).toBeVisible();
  await expect(page.locator('tr[data-cnpj="12ABC34501DE35"]')).toContainText('PADARIA PAO DE ACUCAR ME', { timeout: 20_000 });

  await construtora.getByRole('link', { name: 'CONSTRUTORA SAO JOAO LTDA' }).click();
  await expect(page.getByRole('heading', { name: 'CONSTRUTORA SAO JOAO LTDA' })).toBeVisible();
  await expect(page.getByText('11.222.333/0001-81')).toBeVisible();
  await expect(page.getByRole('cell', { name: 'MARIA DA SILVA' })).toBeVisible();
  await expect(page.getByRole('cell', { name: '***123456**' })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Sucesso' })).toBeVisible();
  await expect(page.getByLabel('E-mail')).toHaveValue('contato@sj.com.br');
});
