import { expect, test, type APIRequestContext } from '@playwright/test';
import { enrichedLead, signIn, signUp } from '../api';
import { mailTo, SILENT_PREFIX, SMTP_PORT, textBody } from '../mail-sink';

// "Gerar com IA" on a lead: write with the (fake) Anthropic API, get a new take, edit
// it in place, save it as a template and find the generations in the usage log.
test('generate an AI message in the drawer, regenerate, edit and save it as a template', async ({ page, request }) => {
  const stamp = Date.now();
  const email = `ia.${stamp}@ia${stamp}.com.br`;
  const auth = await signUp(request, 'Vendedora', email, 'senha-ia-123');
  // A lead the fake BrasilAPI enriches (SJ OBRAS, São Paulo/SP).
  const leadId = await enrichedLead(request, auth, '11.222.333/0001-81');
  const before = await (await request.get('/api/v1/ai/usage', { headers: auth })).json();
  expect(before.configured).toBe(true);

  await signIn(page, email, 'senha-ia-123');
  await page.goto(`/leads/${leadId}`);

  await page.getByRole('button', { name: 'Gerar com IA' }).click();
  const drawer = page.getByRole('dialog', { name: 'Gerar com IA' });
  await expect(drawer).toBeVisible();
  await expect(drawer.locator('[data-ai-usage]')).toHaveText(`${before.remaining} de ${before.limit} gerações restantes hoje`);
  // The lead has a phone and no e-mail: WhatsApp comes first; e-mail is chosen.
  await expect(drawer.getByLabel('Canal')).toHaveValue('whatsapp');
  await drawer.getByLabel('Canal').selectOption({ label: 'E-mail' });
  await drawer.getByLabel('Tom').selectOption({ label: 'Consultivo' });
  await drawer.getByLabel('Contexto (opcional)').fill('Oferecemos gestão de obras.');
  await drawer.getByRole('button', { name: 'Gerar', exact: true }).click();

  // Written from the lead's data (nome fantasia, city), with a subject for e-mail.
  const subject = drawer.getByLabel('Assunto');
  const body = drawer.getByLabel('Mensagem');
  await expect(subject).toHaveValue(/^Uma ideia para a SJ Obras$/i);
  await expect(body).toHaveValue(/Vi que a SJ Obras atua em Sao Paulo\. Versão \d+:/i);
  await expect(drawer.locator('[data-ai-usage]')).toHaveText(`${before.remaining - 1} de ${before.limit} gerações restantes hoje`);

  // A new take replaces the text.
  const first = await body.inputValue();
  await drawer.getByRole('button', { name: 'Gerar outra' }).click();
  await expect(body).not.toHaveValue(first);
  await expect(drawer.locator('[data-ai-usage]')).toHaveText(`${before.remaining - 2} de ${before.limit} gerações restantes hoje`);

  // The preview belongs to the message written, not to the channel picker.
  await drawer.getByLabel('Canal').selectOption({ label: 'WhatsApp' });
  await expect(subject).toHaveValue(/^Uma ideia para a SJ Obras$/i);

  // Edited in place and saved as a template.
  await body.fill(`${await body.inputValue()}\n\nP.S.: revisado por mim.`);
  await drawer.getByLabel('Nome do template').fill(`Abertura IA ${stamp}`);
  await drawer.getByRole('button', { name: 'Salvar como template' }).click();
  await drawer.getByRole('link', { name: `Abertura IA ${stamp}` }).click();
  await expect(page.getByRole('heading', { name: `Editar: Abertura IA ${stamp}` })).toBeVisible();
  await expect(page.getByLabel('Mensagem', { exact: true })).toHaveValue(/P\.S\.: revisado por mim\.$/);
  await expect(page.getByLabel('Assunto', { exact: true })).toHaveValue(/^Uma ideia para a SJ Obras$/i);

  // Both generations are in the usage log.
  await page.getByRole('navigation', { name: 'Navegação principal' }).getByRole('link', { name: 'Uso de IA' }).click();
  await expect(page.getByRole('heading', { name: 'Uso de IA', level: 1 })).toBeVisible();
  const rows = page.getByRole('row').filter({ hasText: 'Gerar com IA' });
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('Gerada');
  await expect(rows.first()).toContainText('SJ OBRAS');
});

/** A new member with a mailbox on the e2e SMTP sink, and an enriched lead (SJ OBRAS)
 *  whose e-mail is `leadEmail`. */
async function senderWithLead(request: APIRequestContext, email: string, leadEmail: string) {
  const auth = await signUp(request, 'Vendedora', email, 'senha-ia-123');
  const mailbox = await request.post('/api/v1/mailboxes', {
    headers: auth,
    data: {
      from_name: 'Vendedora', from_email: email, smtp_host: '127.0.0.1', smtp_port: SMTP_PORT,
      smtp_security: 'none', smtp_username: '', smtp_password: 'qualquer',
    },
  });
  expect(mailbox.status()).toBe(201);
  const leadId = await enrichedLead(request, auth, '11.222.333/0001-81');
  const patched = await request.patch(`/api/v1/leads/${leadId}`, { headers: auth, data: { email: leadEmail } });
  expect(patched.status()).toBe(200);
  return { auth, leadId };
}

// The draft goes out from the SDR's own mailbox through Flux, not a mail client.
test('send an AI draft as a one-off e-mail from the drawer', async ({ page, request }) => {
  const stamp = Date.now();
  const email = `avulso.${stamp}@av${stamp}.com.br`;
  const leadEmail = `compras.${stamp}@sjobras.com.br`;
  const { leadId } = await senderWithLead(request, email, leadEmail);

  await signIn(page, email, 'senha-ia-123');
  await page.goto(`/leads/${leadId}`);

  await page.getByRole('button', { name: 'Gerar com IA' }).click();
  const drawer = page.getByRole('dialog', { name: 'Gerar com IA' });
  // The lead has an e-mail: e-mail comes first.
  await expect(drawer.getByLabel('Canal')).toHaveValue('email');
  // Focus starts inside and Tab keeps it there, whichever way it goes.
  await expect(drawer.getByLabel('Canal')).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(drawer.getByRole('button', { name: 'Fechar' })).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(drawer.locator(':focus')).toHaveCount(1);
  await page.keyboard.press('Tab');
  await expect(drawer.getByRole('button', { name: 'Fechar' })).toBeFocused();
  await drawer.getByRole('button', { name: 'Gerar', exact: true }).click();
  const subject = drawer.getByLabel('Assunto');
  await expect(subject).toHaveValue(/^Uma ideia para a SJ Obras$/i);
  await subject.fill('Proposta para a SJ Obras');

  // Asked once more, then sent and followed until the server took it.
  await drawer.getByRole('button', { name: `Enviar e-mail para ${leadEmail}` }).click();
  await drawer.getByRole('button', { name: 'Confirmar envio' }).click();
  await expect(drawer.locator('[data-email-status]')).toHaveText(`E-mail enviado para ${leadEmail}.`, { timeout: 30_000 });

  const raw = await mailTo(leadEmail);
  expect(raw).toMatch(/^Subject: Proposta para a SJ Obras\r?$/m);
  expect(raw).toContain(`From: Vendedora <${email}>`);
  expect(textBody(raw)).toMatch(/Vi que a SJ Obras atua em Sao Paulo/i);

  // On the lead's timeline at once, as a one-off sent with AI.
  await drawer.getByRole('button', { name: 'Fechar' }).click();
  const sent = page.getByRole('region', { name: 'Linha do tempo' }).locator('li[data-type="sent"]');
  await expect(sent).toContainText('Proposta para a SJ Obras');
  await expect(sent).toContainText('E-mail avulso');
  await expect(sent).toContainText('IA');
});

// The mail server takes the message and never confirms it: Flux does not send it
// again by itself. The lead's page lists it for review after the drawer is closed, and
// the member settles it there.
test('a one-off e-mail the server never confirmed waits for review on the lead page', async ({ page, request }) => {
  test.setTimeout(120_000);
  const stamp = Date.now();
  const email = `revisao.${stamp}@rv${stamp}.com.br`;
  const leadEmail = `${SILENT_PREFIX}${stamp}@sjobras.com.br`;
  const { auth, leadId } = await senderWithLead(request, email, leadEmail);

  await signIn(page, email, 'senha-ia-123');
  await page.goto(`/leads/${leadId}`);
  await page.getByRole('button', { name: 'Gerar com IA' }).click();
  const drawer = page.getByRole('dialog', { name: 'Gerar com IA' });
  await drawer.getByRole('button', { name: 'Gerar', exact: true }).click();
  await expect(drawer.getByLabel('Assunto')).toHaveValue(/^Uma ideia para a SJ Obras$/i);
  await drawer.getByLabel('Assunto').fill('Sem confirmação do servidor');
  await drawer.getByRole('button', { name: `Enviar e-mail para ${leadEmail}` }).click();
  await drawer.getByRole('button', { name: 'Confirmar envio' }).click();
  await expect(drawer.locator('[data-email-status]')).toContainText(`Enviando para ${leadEmail}`);
  await drawer.getByRole('button', { name: 'Fechar' }).click();

  // Listed while on its way, then for review once the server's silence runs out (20 s).
  const timeline = page.getByRole('region', { name: 'Linha do tempo' });
  const pending = timeline.getByRole('list', { name: 'E-mails avulsos pendentes' }).getByRole('listitem');
  await expect(pending).toHaveCount(1);
  await expect(pending).toContainText('Sem confirmação do servidor');
  await expect(pending).toContainText(`E-mail avulso para ${leadEmail}`);
  await expect(pending).toHaveAttribute('data-email-state', 'needs_review', { timeout: 60_000 });
  await expect(pending).toContainText('Aguardando revisão');
  await expect(timeline.locator('li[data-type="sent"]')).toHaveCount(0);

  // The member finds it in the sent folder: it is on the timeline as sent.
  await pending.getByRole('button', { name: 'Está nos enviados' }).click();
  await expect(pending).toHaveCount(0);
  const sent = timeline.locator('li[data-type="sent"]');
  await expect(sent).toContainText('Sem confirmação do servidor');
  await expect(sent).toContainText('E-mail avulso');
  const emails = await (await request.get(`/api/v1/leads/${leadId}/emails`, { headers: auth })).json();
  expect(emails.items.map((e: { state: string }) => e.state)).toEqual(['sent']);
});
