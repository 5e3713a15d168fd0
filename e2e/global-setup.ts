import { startFakeBrasilApi } from './fake-brasilapi';
import { startMailSink } from './mail-sink';

export default async function globalSetup() {
  const mail = await startMailSink();
  const brasilapi = await startFakeBrasilApi();
  return async () => {
    await new Promise<void>((resolve) => mail.close(() => resolve()));
    await new Promise<void>((resolve) => brasilapi.close(() => resolve()));
  };
}
