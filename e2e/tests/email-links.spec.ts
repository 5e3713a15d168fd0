import { expect, test } from '@playwright/test';
import { linkFromEmail } from '../mail-sink';

// Journeys that go through a real e-mail: Flux → lettre → SMTP sink → link → browser.

test('an invited SDR joins through the e-mailed link', async ({ page, request }) => {
  const stamp = Date.now();
  const signup = await request.post('/api/v1/auth/signup', {
    data: { name: 'Gestora Convite', email: `gestora.${stamp}@conv${stamp}.com.br`, password: 'senha-gestora-1' },
  });
  expect(signup.status()).toBe(201);
  const { tokens } = await signup.json();
  const invitee = `caio.${stamp}@conv${stamp}.com.br`;
  const invite = await request.post('/api/v1/invitations', {
    headers: { Authorization: `Bearer ${tokens.access_token}` },
    data: { email: invitee, role: 'sdr' },
  });
  expect(invite.status()).toBe(201);

  const link = await linkFromEmail(invitee);
  expect(link).toContain('/convite?token=');
  await page.goto(link);
  await expect(page.getByText(`E-mail: ${invitee}`)).toBeVisible();
  await page.getByLabel('Nome').fill('Caio Lima');
  await page.getByLabel('Crie uma senha (mínimo 8 caracteres)').fill('senha-do-caio-1');
  await page.getByRole('button', { name: 'Aceitar convite' }).click();

  await expect(page.getByRole('heading', { name: 'Olá, Caio!' })).toBeVisible();
  await expect(page.locator('.user-menu .badge')).toHaveText('SDR');
  // SDRs see the team but cannot manage it.
  await page.getByRole('link', { name: 'Usuários' }).click();
  await expect(page.getByRole('cell', { name: invitee })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Enviar convite' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /Desativar/ })).toHaveCount(0);
});

test('a forgotten password is reset through the e-mailed link', async ({ page, request }) => {
  const stamp = Date.now();
  const email = `esqueci.${stamp}@reset${stamp}.com.br`;
  expect(
    (await request.post('/api/v1/auth/signup', { data: { name: 'Esquecida', email, password: 'senha-antiga-1' } }))
      .status(),
  ).toBe(201);

  await page.goto('/entrar');
  await page.getByRole('link', { name: 'Esqueci minha senha' }).click();
  // The page's module loads first; until then the login form (also with an e-mail
  // field) stays on screen.
  await expect(page.getByRole('heading', { name: 'Esqueci minha senha' })).toBeVisible();
  await page.getByLabel('E-mail').fill(email);
  await page.getByRole('button', { name: 'Enviar link' }).click();
  await expect(page.getByRole('status')).toContainText('Se o e-mail estiver cadastrado');

  const link = await linkFromEmail(email);
  expect(link).toContain('/redefinir-senha?token=');
  await page.goto(link);
  await page.getByLabel('Nova senha (mínimo 8 caracteres)').fill('senha-nova-123');
  await page.getByRole('button', { name: 'Salvar nova senha' }).click();
  await expect(page.getByRole('status')).toContainText('Senha alterada');

  // The same link works once.
  await page.goto(link);
  await page.getByLabel('Nova senha (mínimo 8 caracteres)').fill('outra-senha-456');
  await page.getByRole('button', { name: 'Salvar nova senha' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'inválido ou expirado' })).toBeVisible();

  await page.goto('/entrar');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Senha').fill('senha-nova-123');
  await page.getByRole('button', { name: 'Entrar' }).click();
  await expect(page.getByRole('heading', { name: 'Olá, Esquecida!' })).toBeVisible();
});
