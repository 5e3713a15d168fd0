import { expect, test } from '@playwright/test';
import { linkFromEmail } from '../mail-sink';

test('a member deactivated while signed in is sent back to the login page', async ({ page, request }) => {
  const stamp = Date.now();
  const signup = await request.post('/api/v1/auth/signup', {
    data: { name: 'Gestora Sessão', email: `gestora.${stamp}@sess${stamp}.com.br`, password: 'senha-gestora-1' },
  });
  const manager = (await signup.json()).tokens.access_token as string;
  const auth = { Authorization: `Bearer ${manager}` };
  const sdrEmail = `sdr.${stamp}@sess${stamp}.com.br`;
  await request.post('/api/v1/invitations', { headers: auth, data: { email: sdrEmail, role: 'sdr' } });
  const token = new URL(await linkFromEmail(sdrEmail)).searchParams.get('token');
  const accepted = await request.post('/api/v1/invitations/accept', {
    data: { token, name: 'Sérgio SDR', password: 'senha-do-sdr-1' },
  });
  expect(accepted.status()).toBe(200);
  const sdrUserId = (await accepted.json()).user.id as string;

  await page.goto('/entrar');
  await page.getByLabel('E-mail').fill(sdrEmail);
  await page.getByLabel('Senha').fill('senha-do-sdr-1');
  await page.getByRole('button', { name: 'Entrar' }).click();
  await expect(page.getByRole('heading', { name: 'Olá, Sérgio!' })).toBeVisible();

  const members = await (await request.get('/api/v1/members', { headers: auth })).json();
  const membership = members.items.find((m: { user_id: string }) => m.user_id === sdrUserId);
  const deactivated = await request.patch(`/api/v1/members/${membership.id}`, {
    headers: auth,
    data: { status: 'suspended' },
  });
  expect(deactivated.status()).toBe(200);

  await page.getByRole('link', { name: 'Usuários' }).click();
  await expect(page.getByRole('heading', { name: 'Entrar no Flux' })).toBeVisible();
});
