// Lists of addresses in settings (TRUSTED_PROXIES): single addresses, CIDR ranges, or "loopback".

import { BlockList, isIP } from "node:net";

export type Trusted = BlockList | null;

/** Parses TRUSTED_PROXIES entries: addresses, CIDR ranges, or "loopback". Throws on a bad entry. */
export function addressList(entries: readonly string[] | undefined): Trusted {
  if (!entries || entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    if (entry === "loopback") {
      list.addSubnet("127.0.0.0", 8, "ipv4");
      list.addAddress("::1", "ipv6");
      continue;
    }
    const [address = "", bits] = entry.split("/");
    const version = isIP(address);
    if (version === 0) throw new Error(`"${entry}" is not an address, a CIDR range or loopback`);
    const type = version === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const prefix = Number(bits);
    if (!/^\d+$/.test(bits) || prefix > (version === 4 ? 32 : 128)) {
      throw new Error(`"${entry}" has a bad prefix length`);
    }
    list.addSubnet(address, prefix, type);
  }
  return list;
}
