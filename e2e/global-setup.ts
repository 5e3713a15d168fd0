import { startFakeAnthropic } from './fake-anthropic';
import { startFakeBrasilApi } from './fake-brasilapi';
import { startMailSink } from './mail-sink';

export default async function globalSetup() {
  const mail = await startMailSink();
  const brasilapi = await startFakeBrasilApi();
  const anthropic = await startFakeAnthropic();
  return async () => {
    await new Promise<void>((resolve) => mail.close(() => resolve()));
    await new Promise<void>((resolve) => brasilapi.close(() => resolve()));
    await new Promise<void>((resolve) => anthropic.close(() => resolve()));
  };
}
