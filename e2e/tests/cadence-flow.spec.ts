import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { enrichedLead, signUp } from '../api';
import { mailTo, textBody } from '../mail-sink';

// The whole path of issue #4 in the browser: a mailbox and a send window, a template,
// a cadence built and reordered, leads enrolled from the Leads table (one refused with
// its reason), the engine sending the first step through SMTP, and the lead timeline
// and the cadence funnel showing it.

/**
 * A timezone in which a window of every day, all day long, is open right now and for
 * the next quarter of an hour: the organization's own, unless today is a national
 * holiday there or its day is about to end (then one where the date is another day).
 * Found through the API, which computes the holidays.
 */
async function openZone(request: APIRequestContext, auth: Record<string, string>): Promise<string> {
  const days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
  for (const timezone of ['America/Sao_Paulo', 'Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
    const res = await request.patch('/api/v1/organization/sending', {
      headers: auth,
      data: { timezone, days, start: '00:00', end: '23:59', send_on_optional_holidays: true },
    });
    expect(res.status()).toBe(200);
    // The window closes at 23:59: a zone about to reach it would close mid-test.
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date());
    const closing = local >= '23:45';
    if (!closing && Date.parse((await res.json()).next_open_at) <= Date.now() + 1000) return timezone;
  }
  throw new Error('no timezone with an open window now');
}

async function goTo(page: Page, link: string) {
  await page.getByRole('navigation', { name: 'Navegação principal' }).getByRole('link', { name: link, exact: true }).click();
}

test('build a cadence, enroll leads, let the engine send, see the timeline and the funnel', async ({ page, request }) => {
  const stamp = Date.now();
  const email = `gestora.${stamp}@cadencias${stamp}.com.br`;
  const leadEmail = `compras.${stamp}@sjobras.com.br`;
  const auth = await signUp(request, 'Gestora Cadências', email, 'senha-cadencias-1');
  // Two leads: one the fake BrasilAPI enriches and that gets an e-mail address, one
  // without any address (refused when enrolled in an e-mail cadence).
  const leadId = await enrichedLead(request, auth, '11.222.333/0001-81');
  expect((await request.patch(`/api/v1/leads/${leadId}`, { headers: auth, data: { email: leadEmail } })).status()).toBe(200);
  const other = await request.post('/api/v1/leads', { headers: auth, data: { cnpj: '11.444.777/0001-61', razao_social: 'Sem Email Comercio LTDA' } });
  expect(other.status()).toBe(201);

  const timezone = await openZone(request, auth);
  // Back to the defaults: the window is set in the browser below.
  expect((await request.patch('/api/v1/organization/sending', {
    headers: auth, data: { timezone: 'America/Sao_Paulo', days: ['monday'], start: '08:00', end: '18:00' },
  })).status()).toBe(200);

  await page.goto('/entrar');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Senha').fill('senha-cadencias-1');
  await page.getByRole('button', { name: 'Entrar' }).click();

  // A mailbox on the local SMTP sink, and its connection test.
  await goTo(page, 'Caixas de e-mail');
  await expect(page.getByText('Nenhuma caixa de e-mail configurada')).toBeVisible();
  await page.getByRole('button', { name: 'Nova caixa' }).click();
  const form = page.getByRole('form', { name: 'Nova caixa de e-mail' });
  await form.getByLabel('Nome do remetente').fill('Gestora Cadências');
  await form.getByLabel('E-mail do remetente').fill(email);
  await form.getByLabel('Servidor SMTP').fill('127.0.0.1');
  await form.getByLabel('Porta SMTP').fill('2525');
  await form.getByLabel('Segurança SMTP').selectOption('none');
  await form.getByLabel('Senha SMTP').fill('qualquer');
  await form.getByRole('button', { name: 'Criar caixa' }).click();
  const mailbox = page.getByRole('region', { name: `Caixa ${email}` });
  await expect(mailbox).toContainText('127.0.0.1:2525 · Sem criptografia');
  await expect(mailbox.getByTestId('sync-health')).toHaveText('Leitura de respostas desligada');
  await mailbox.getByRole('button', { name: 'Testar conexão' }).click();
  await expect(mailbox.locator('.connection-checks .ok')).toContainText('SMTP');
  // An edit sends only what changed (a changed server would need the password again).
  await mailbox.getByRole('button', { name: 'Editar' }).click();
  const edit = mailbox.getByRole('form', { name: 'Editar caixa de e-mail' });
  await edit.getByLabel('Limite de envios por dia').fill('150');
  await edit.getByRole('button', { name: 'Salvar caixa' }).click();
  await expect(page.getByRole('region', { name: `Caixa ${email}` })).toContainText('0 enviados hoje de 150');

  // The send window: every day, all day, in a zone where today is not a holiday.
  await goTo(page, 'Envio');
  const sending = page.getByRole('form', { name: 'Configurações de envio' });
  await sending.getByLabel('Fuso horário').fill(timezone);
  for (const day of ['Segunda', 'Terça', 'Quarta', 'Quinta', 'Sexta', 'Sábado', 'Domingo']) {
    await sending.getByLabel(day).check();
  }
  await sending.getByLabel('Das').fill('00:00');
  await sending.getByLabel('Até').fill('23:59');
  await sending.getByLabel(/pontos facultativos/).check();
  // Without tracking the message is plain text (with tracking: text and HTML).
  await sending.getByLabel(/Registrar aberturas/).uncheck();
  await sending.getByLabel(/Registrar cliques/).uncheck();
  await sending.getByRole('button', { name: 'Salvar' }).click();
  await expect(sending.getByText('Configurações de envio salvas.')).toBeVisible();
  await expect(sending.getByText('A janela de envio está aberta agora.')).toBeVisible();

  // A template of our own for the first step.
  await goTo(page, 'Templates');
  await page.getByRole('link', { name: 'Novo template' }).click();
  await page.getByLabel('Nome', { exact: true }).fill(`Abertura ${stamp}`);
  await page.getByLabel('Assunto', { exact: true }).fill('Uma ideia para a {{nome_fantasia|razao_social}}');
  await page.getByLabel('Mensagem', { exact: true }).fill('Olá! Vi que a {{razao_social}} fica em {{cidade}}/{{uf}}. Podemos conversar?');
  await page.getByRole('button', { name: 'Criar template' }).click();
  await expect(page.getByRole('heading', { name: `Editar: Abertura ${stamp}` })).toBeVisible();

  // The cadence: three steps, reordered by keyboard and by the buttons, one removed.
  await goTo(page, 'Cadências');
  await page.getByRole('link', { name: 'Nova cadência' }).click();
  await page.getByLabel('Nome', { exact: true }).fill('Prospecção Construção');
  const step = (n: number) => page.getByTestId(`step-${n}`);
  await step(1).getByLabel('Template').selectOption({ label: `Abertura ${stamp}` });
  await step(1).getByLabel('Dias depois').fill('0');
  const systemEmail = await step(2).getByLabel('Template').locator('option').nth(1).innerText();
  await step(2).getByLabel('Template').selectOption({ label: systemEmail });
  await step(2).getByLabel('Dias depois').fill('2');
  await page.getByRole('button', { name: 'Adicionar passo' }).click();
  await step(3).getByLabel('Template').selectOption({ index: 1 });
  await step(3).getByLabel('Dias depois').fill('5');
  await expect(page.getByText('Duração total: 7 dias')).toBeVisible();

  // The third step goes to the top from the keyboard; its handle keeps the focus.
  const handle = step(3).getByRole('button', { name: /^Passo 3 de 3/ });
  await handle.focus();
  await page.keyboard.press('ArrowUp');
  await expect(page.getByRole('button', { name: /^Passo 2 de 3/ })).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(page.getByRole('button', { name: /^Passo 1 de 3/ })).toBeFocused();
  await expect(step(1).getByLabel('Dias depois')).toHaveValue('5');
  await expect(page.getByText('Passo movido da posição 2 para a posição 1 de 3.')).toBeAttached();
  // And back down with the buttons, then away.
  await page.getByRole('button', { name: 'Descer passo 1' }).click();
  await page.getByRole('button', { name: 'Descer passo 2' }).click();
  await expect(step(3).getByLabel('Dias depois')).toHaveValue('5');
  await expect(step(1).getByLabel('Template').locator('option:checked')).toHaveText(`Abertura ${stamp}`);
  // Dragging the second step over the first swaps them; dragging back restores them.
  await step(2).locator('.drag-handle').dragTo(step(1).locator('.drag-handle'));
  await expect(step(1).getByLabel('Dias depois')).toHaveValue('2');
  await step(2).locator('.drag-handle').dragTo(step(1).locator('.drag-handle'));
  await expect(step(1).getByLabel('Dias depois')).toHaveValue('0');
  await page.getByRole('button', { name: 'Remover passo 3' }).click();
  await expect(page.getByTestId('step-3')).toHaveCount(0);
  // Out of range: the server names the step's field.
  await step(2).getByLabel('Horas depois').fill('30');
  await page.getByRole('button', { name: 'Criar cadência' }).click();
  await expect(step(2).locator('.field-error')).toHaveText('entre 0 e 23 horas');
  await step(2).getByLabel('Horas depois').fill('0');
  await page.getByRole('button', { name: 'Criar cadência' }).click();

  await expect(page.getByRole('heading', { name: /Prospecção Construção/ })).toContainText('Rascunho');
  await page.getByRole('button', { name: 'Ativar' }).click();
  await expect(page.getByRole('heading', { name: /Prospecção Construção/ })).toContainText('Ativa');
  // Edited while active: the steps keep their ids, the delay changes.
  await page.getByRole('link', { name: 'Editar' }).click();
  await expect(step(2).getByLabel('Dias depois')).toHaveValue('2');
  await step(2).getByLabel('Dias depois').fill('3');
  await page.getByRole('button', { name: 'Salvar cadência' }).click();
  await expect(page.getByRole('region', { name: 'Passos' })).toContainText('3 dia(s) depois');
  await expect(page.getByRole('heading', { name: /Prospecção Construção/ })).toContainText('Ativa');

  // Enroll both leads from the Leads table: one enrolled, one refused with its reason.
  await goTo(page, 'Leads');
  await page.getByRole('checkbox', { name: 'Selecionar todos' }).check();
  await page.getByLabel('Cadência', { exact: true }).selectOption({ label: 'Prospecção Construção' });
  await page.getByRole('button', { name: 'Inscrever' }).click();
  const result = page.locator('.enroll-result');
  await expect(result).toContainText('1 lead(s) inscrito(s); 1 recusado(s).');
  await expect(result.getByRole('listitem')).toContainText('Sem Email Comercio LTDA');

  // The engine sends the first step through the mailbox, inside the window.
  const raw = await mailTo(leadEmail);
  expect(textBody(raw)).toContain('Olá! Vi que a Construtora Sao Joao LTDA fica em Sao Paulo/SP.');
  expect(raw).toMatch(/^List-Unsubscribe:/im);

  // The lead's timeline shows the send and the enrollment waiting for step 2.
  await page.getByRole('link', { name: /Construtora Sao Joao|CONSTRUTORA SAO JOAO/ }).click();
  const timeline = page.getByRole('region', { name: 'Linha do tempo' });
  const sent = timeline.locator('.timeline-item[data-type="sent"]');
  await expect(sent).toContainText('Prospecção Construção · passo 1', { timeout: 20_000 });
  await expect(sent).toContainText('E-mail');
  const enrollment = timeline.getByRole('row').filter({ hasText: 'Prospecção Construção' });
  await expect(enrollment).toContainText('1 de 2');
  await expect(enrollment).toContainText('2º em');
  // Enrolling again is refused: one running enrollment per lead and cadence.
  await timeline.getByLabel('Cadência', { exact: true }).selectOption({ label: 'Prospecção Construção' });
  await timeline.getByRole('button', { name: 'Inscrever' }).click();
  await expect(timeline.locator('.enroll-result')).toContainText('Nenhum lead inscrito; 1 recusado(s).');

  // The cadence: the funnel counts the send; the enrollment pauses and resumes.
  await enrollment.getByRole('link', { name: 'Prospecção Construção' }).click();
  await expect(page.getByTestId('funnel-step-1')).toContainText(`Abertura ${stamp}`);
  await expect(page.getByTestId('funnel-step-1').locator('td').first()).toHaveText('1');
  const row = page.getByRole('region', { name: 'Inscrições' }).getByRole('row').filter({ hasText: 'SJ OBRAS' });
  await row.getByRole('button', { name: /^Pausar/ }).click();
  await expect(row).toContainText('Pausada: pausada manualmente');
  await row.getByRole('button', { name: /^Retomar/ }).click();
  await expect(row).toContainText('Ativa');
});
