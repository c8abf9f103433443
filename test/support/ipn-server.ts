import { startIpnServer, type IpnServer, type IpnServerOptions } from '../../ipn/server.js';

/** The real IPN endpoint on a free port at /ipn, with a dispatcher that only acknowledges; the rest as given. */
export function startTestIpnServer(options: Partial<IpnServerOptions> & Pick<IpnServerOptions, 'db' | 'signature' | 'logger'>): Promise<IpnServer> {
  return startIpnServer({ host: '127.0.0.1', port: 0, path: '/ipn', maxBodyBytes: 64 * 1024, dispatcher: { dispatch: async () => true }, ...options });
}
