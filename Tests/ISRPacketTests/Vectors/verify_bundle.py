#!/usr/bin/python3
"""A second, independent verifier of ISR evidence bundles, written from PacketFormat.md ("Evidence bundles") alone, on
PyNaCl and pyasn1 (the packet layouts are shared with open_vectors.py). It checks the canonical tar, the exporter's
manifest signature and every file's SHA-256, the directory entries against the admin key, the relay's checkpoint, every
leaf's inclusion proof, every packet's signature and acceptance leaf, every included content key against its body, and
every read receipt and countersignature. Prints one line per packet and a summary; exit 0 if all holds, 1 otherwise.

Usage: /usr/bin/python3 verify_bundle.py BUNDLE.tar   (Debian: python3-nacl python3-pyasn1)
"""
import base64
import hashlib
import json
import os
import sys

import nacl.bindings
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import VerifyKey
from pyasn1.codec.der import encoder as der_encoder

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from open_vectors import (Header, Integer, Octets, Opt, Packet, Refused, Req, Utf8, der, implicit, seq, seq_of,  # noqa: E402
                          text)

Entry = seq(Req("member", Utf8()), Req("displayName", Utf8()), Req("agency", Utf8()), Req("agencyName", Utf8()),
            Req("agencyKind", Utf8()), Req("signingKey", Octets()), Req("encryptionKey", Octets()), Req("issuedAt", Integer()),
            Opt("authority", implicit(0, Utf8())))
SignedEntry = seq(Req("entry", Octets()), Req("signer", Utf8()), Req("signature", Octets()))
CheckpointDER = seq(Req("origin", Utf8()), Req("size", Integer()), Req("root", Octets()), Req("time", Integer()))
SignedCheckpointDER = seq(Req("checkpoint", Octets()), Req("signature", Octets()))
Attribute = seq(Req("key", Utf8()), Req("value", Utf8()))
Event = seq(Req("kind", Utf8()), Req("time", Integer()), Req("actor", Utf8()), Opt("packetID", implicit(0, Octets())),
            Req("attributes", seq_of(Attribute())()))


class Bad(Exception):
    pass


def verify_sig(key, context, data, signature):
    try:
        VerifyKey(key).verify(context.encode() + b"\x00" + data, signature)
        return True
    except (BadSignatureError, ValueError):
        return False


def tar_header(name, size):
    h = bytearray(512)
    def put(value, at):
        h[at:at + len(value)] = value
    put(name.encode(), 0)
    put(b"0000644", 100); put(b"0000000", 108); put(b"0000000", 116)
    put(b"%011o" % size, 124); put(b"00000000000", 136); put(b"        ", 148)
    h[156] = 0x30
    put(b"ustar", 257); put(b"00", 263)
    put(b"%06o\x00 " % sum(h), 148)
    return bytes(h)


def read_tar(data):
    """The files of a canonical bundle tar: every header exactly as the format fixes it, zero padding, two zero blocks."""
    if len(data) % 512 or len(data) < 1024:
        raise Bad("not whole 512-byte blocks")
    files, offset = [], 0
    while offset + 512 <= len(data):
        block = data[offset:offset + 512]
        if block == bytes(512):
            break
        name = block[:100].split(b"\x00")[0].decode("ascii", "strict")
        size = int(block[124:135], 8)
        if block != tar_header(name, size):
            raise Bad(f"tar header of {name!r} is not canonical")
        start, padded = offset + 512, (size + 511) // 512 * 512
        if data[start + size:start + padded] != bytes(padded - size) or start + padded > len(data):
            raise Bad(f"padding after {name!r}")
        files.append((name, data[start:start + size]))
        offset = start + padded
    if data[offset:] != bytes(1024):
        raise Bad("it must end with exactly two zero blocks")
    return files


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(leaf_hash, index, size, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not fn & 1 and fn:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify(data):
    files = read_tar(data)
    if len(files) < 2 or files[0][0] != "manifest.json" or files[1][0] != "manifest.sig":
        raise Bad("must start with manifest.json and manifest.sig")
    by_name = dict(files)
    trust = json.loads(by_name["trust.json"])
    admin, admin_key = trust["admin"]["member"], base64.b64decode(trust["admin"]["signing_key"])
    relay_key, origin = base64.b64decode(trust["relay"]["signing_key"]), trust["relay"]["origin"]

    # The directory: entries the admin signed, and entries signed by admins the admin vouched for (covering the agency).
    keys, names, vouchers, pending = {}, {}, {}, []
    for name, blob in files:
        if not name.startswith("directory/"):
            continue
        signed = der(blob, SignedEntry(), "entry")
        entry_bytes, signer = bytes(signed["entry"]), text(signed["signer"])
        if signer == admin:
            if not verify_sig(admin_key, "isr/v1/directory-entry", entry_bytes, bytes(signed["signature"])):
                raise Bad("a directory entry is not signed by the admin key")
            entry = der(entry_bytes, Entry(), "entry")
            if entry["authority"].isValue:
                vouchers.setdefault(text(entry["member"]), []).append(entry)
            keys.setdefault(text(entry["member"]), []).append(bytes(entry["signingKey"]))
            names[text(entry["member"])] = text(entry["displayName"])
        else:
            pending.append((signer, entry_bytes, bytes(signed["signature"])))
    for signer, entry_bytes, signature in pending:
        entry = der(entry_bytes, Entry(), "entry")
        agency = text(entry["agency"])
        if not any(verify_sig(bytes(v["signingKey"]), "isr/v1/directory-entry", entry_bytes, signature)
                   and text(v["authority"]) in ("deployment", "agency:" + agency) for v in vouchers.get(signer, [])):
            raise Bad(f"a directory entry signed by {signer} is not vouched for")
        keys.setdefault(text(entry["member"]), []).append(bytes(entry["signingKey"]))
        names[text(entry["member"])] = text(entry["displayName"])

    # The manifest: signed by the exporter, then every other file exactly as listed.
    sig = json.loads(files[1][1])
    if json.dumps(sig, indent=2, sort_keys=True, separators=(",", " : ")).encode() != files[1][1]:
        raise Bad("manifest.sig is not in its canonical form")
    manifest_bytes = files[0][1]
    if not any(verify_sig(k, "isr/v1/bundle-manifest", manifest_bytes, base64.b64decode(sig["signature"])) for k in keys.get(sig["signer"], [])):
        raise Bad("the manifest is not signed by its exporter")
    manifest = json.loads(manifest_bytes)
    if manifest["format"] != "isr-bundle/1" or manifest["exported_by"] != sig["signer"] or manifest["origin"] != origin:
        raise Bad("not an isr-bundle/1 manifest for this exporter and log")
    if [f["name"] for f in manifest["files"]] != [n for n, _ in files[2:]]:
        raise Bad("the files are not the ones the manifest lists")
    for listed, (name, blob) in zip(manifest["files"], files[2:]):
        if listed["size"] != len(blob) or listed["sha256"] != hashlib.sha256(blob).hexdigest():
            raise Bad(f"{name} was changed")

    # The checkpoint and every leaf's inclusion proof.
    signed_cp = der(by_name["audit/checkpoint.der"], SignedCheckpointDER(), "checkpoint")
    cp_bytes = bytes(signed_cp["checkpoint"])
    if not verify_sig(relay_key, "isr/v1/checkpoint", cp_bytes, bytes(signed_cp["signature"])):
        raise Bad("the checkpoint is not signed by the relay key")
    cp = der(cp_bytes, CheckpointDER(), "checkpoint")
    size, root = int(cp["size"]), bytes(cp["root"])
    if text(cp["origin"]) != origin:
        raise Bad("the checkpoint is for another log")
    proofs = json.loads(by_name["audit/proofs.json"])
    events = []
    for leaf in proofs["leaves"]:
        index = leaf["index"]
        blob = by_name[f"audit/leaves/{index}.der"]
        if index >= size:
            raise Bad(f"the checkpoint does not extend to leaf {index}")
        if not verify_inclusion(hashlib.sha256(b"\x00" + blob).digest(), index, size, [base64.b64decode(p) for p in leaf["proof"]], root):
            raise Bad(f"leaf {index} is not in the signed log")
        event = der(blob, Event(), "event")
        attributes = {text(a["key"]): text(a["value"]) for a in event["attributes"]}
        events.append((index, text(event["kind"]), int(event["time"]), text(event["actor"]),
                       bytes(event["packetID"]) if event["packetID"].isValue else None, attributes))

    # Every packet: the sender's signature, the acceptance leaf, the body if its key is included, receipts, countersignatures.
    lines = []
    for hex_id in manifest["packets"]:
        blob = by_name[f"packets/{hex_id}.isr"]
        packet = der(blob, Packet(), "packet")
        header_bytes, body = bytes(packet["header"]), bytes(packet["body"])
        header = der(header_bytes, Header(), "header")
        sender = text(header["sender"])
        payload = hashlib.sha256(der_encoder.encode(packet["stanzas"]) + body).digest()
        if bytes(header["id"]).hex() != hex_id or not any(verify_sig(k, "isr/v1/header", header_bytes + payload, bytes(packet["signature"])) for k in keys.get(sender, [])):
            raise Bad(f"packet {hex_id} is not signed by its sender")
        digest = hashlib.sha256(blob).digest()
        mine = [e for e in events if e[4] == bytes.fromhex(hex_id)]
        accepted = [e for e in mine if e[5].get("digest") == digest.hex() and e[3] == sender]
        if not accepted:
            raise Bad(f"no acceptance leaf for packet {hex_id}")
        proven = "body withheld"
        opening = by_name.get(f"openings/{hex_id}.json")
        if opening is not None:
            key = base64.b64decode(json.loads(opening)["content_key"])
            try:
                nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(body[24:], header_bytes, body[:24], key)
            except CryptoError:
                raise Bad(f"packet {hex_id}'s content key does not open its body")
            proven = "body proven"
        for index, kind, _, actor, _, attributes in mine:
            if kind == "packet.read":
                data = bytes.fromhex(hex_id) + digest + actor.encode()
                if not any(verify_sig(k, "isr/v1/receipt", data, bytes.fromhex(attributes.get("receipt", ""))) for k in keys.get(actor, [])):
                    raise Bad(f"the receipt in leaf {index} does not verify")
            if kind == "packet.countersigned":
                data = bytes.fromhex(hex_id) + digest + actor.encode()
                if not any(verify_sig(k, "isr/v1/countersign", data, bytes.fromhex(attributes.get("signature", ""))) for k in keys.get(actor, [])):
                    raise Bad(f"the countersignature in leaf {index} does not verify")
        lines.append(f"{text(header['kind'])} {hex_id} by {sender} ({names.get(sender, '?')}): signature ok, accepted in leaf {accepted[0][0]}, {proven}, "
                     f"{len(mine) - 1} further events")
    return lines, len(events), size, origin


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    try:
        lines, leaves, size, origin = verify(data)
    except (Bad, Refused, KeyError, ValueError, TypeError, UnicodeError, json.JSONDecodeError) as error:
        print(f"bundle does not verify: {error!r}")
        return 1
    for line in lines:
        print(line)
    print(f"second implementation: bundle verified, {len(lines)} packets, {leaves} events in log {origin} of size {size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
