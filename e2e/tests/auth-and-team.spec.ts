import { expect, test } from '@playwright/test';

// One critical journey: sign up, sign out, sign in, invite a teammate.
test('signup, logout, login and invite a member', async ({ page }) => {
  const stamp = Date.now();
  const email = `gestora.${stamp}@empresa${stamp}.com.br`;
  const password = 'senha-e2e-123';

  await page.goto('/cadastro');
  await page.getByLabel('Nome').fill('Gestora E2E');
  await page.getByLabel('E-mail de trabalho').fill(email);
  await page.getByLabel('Senha (mínimo 8 caracteres)').fill(password);
  await page.getByRole('button', { name: 'Criar conta' }).click();

  await expect(page.getByRole('heading', { name: 'Olá, Gestora!' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Navegação principal' })).toBeVisible();

  await page.getByRole('button', { name: 'Sair' }).click();
  await expect(page.getByRole('heading', { name: 'Entrar no Flux' })).toBeVisible();

  // A wrong password is refused with a readable message.
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Senha').fill('senha-errada-1');
  await page.getByRole('button', { name: 'Entrar' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'E-mail ou senha incorretos' })).toBeVisible();

  await page.getByLabel('Senha').fill(password);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await expect(page.getByRole('heading', { name: 'Olá, Gestora!' })).toBeVisible();

  // Reloading keeps the session (refresh token in the httpOnly cookie).
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Olá, Gestora!' })).toBeVisible();

  await page.getByRole('link', { name: 'Usuários' }).click();
  await expect(page.getByRole('heading', { name: 'Usuários', level: 1 })).toBeVisible();
  await expect(page.getByRole('cell', { name: email })).toBeVisible();

  const invitee = `sdr.${stamp}@empresa${stamp}.com.br`;
  await page.getByLabel('E-mail', { exact: true }).fill(invitee);
  await page.getByLabel('Papel', { exact: true }).selectOption('sdr');
  await page.getByRole('button', { name: 'Enviar convite' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Convite enviado para ${invitee}` })).toBeVisible();
  const row = page.getByRole('row').filter({ hasText: invitee });
  await expect(row).toContainText('Pendente');
  await expect(row.getByRole('button', { name: `Revogar convite de ${invitee}` })).toBeVisible();
});

test('keyboard users can sign in without a mouse', async ({ page, request }) => {
  const stamp = Date.now();
  const email = `teclado.${stamp}@kb${stamp}.com.br`;
  const res = await request.post('/api/v1/auth/signup', {
    data: { name: 'Teclado', email, password: 'senha-teclado-1' },
  });
  expect(res.status()).toBe(201);

  await page.goto('/entrar');
  // The e-mail field takes focus when the page has loaded.
  await expect(page.getByLabel('E-mail')).toBeFocused();
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Senha')).toBeFocused();
  await page.keyboard.type('senha-teclado-1');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Olá, Teclado!' })).toBeVisible();
});
