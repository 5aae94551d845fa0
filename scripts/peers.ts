/** `npm run peers`: fetch every test peer from Debian into .peers/ (tests do it on demand too). */
import { ensurePeer, PEERS, type PeerName } from './lib/peers.ts';

for (const name of Object.keys(PEERS) as PeerName[]) {
  const paths = ensurePeer(name);
  for (const [bin, p] of Object.entries(paths)) console.log(`${name}: ${bin} -> ${p}`);
}
