#!/usr/bin/python3
"""A second, independent implementation of opening ISR v1 packets, written from PacketFormat.md alone
(PyNaCl for the cryptography, pyasn1 for DER). It opens every vector in packet-v2.json and checks that it
reaches the recorded outcome. Exit status 0 when every vector agrees, 1 otherwise.

Usage: /usr/bin/python3 open_vectors.py [packet-v2.json]   (Debian: python3-nacl python3-pyasn1)
"""
import hashlib
import json
import os
import re
import sys

import nacl.bindings
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import PrivateKey, SealedBox
from nacl.signing import VerifyKey
from pyasn1.codec.der import decoder, encoder
from pyasn1.error import PyAsn1Error, SubstrateUnderrunError
from pyasn1.type import char, namedtype, tag, univ


def implicit(number, asn1type):
    return asn1type.subtype(implicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatSimple, number))


def seq(*fields):
    class S(univ.Sequence):
        componentType = namedtype.NamedTypes(*fields)
    return S


def seq_of(component):
    class S(univ.SequenceOf):
        componentType = component
    return S


Req, Opt = namedtype.NamedType, namedtype.OptionalNamedType
Utf8, Octets, Integer = char.UTF8String, univ.OctetString, univ.Integer
Strings = seq_of(Utf8())
Stanza = seq(Req("recipient", Utf8()), Req("sealedKey", Octets()))
Packet = seq(Req("version", Integer()), Req("header", Octets()), Req("stanzas", seq_of(Stanza())()),
             Req("body", Octets()), Req("signature", Octets()))
Header = seq(Req("id", Octets()), Req("kind", Utf8()), Req("sender", Utf8()), Req("recipients", Strings()),
             Req("purpose", Utf8()), Req("consent", Utf8()), Req("urgency", Utf8()), Req("createdAt", Integer()),
             Req("fieldNames", Strings()), Req("retentionDays", Integer()),
             Opt("lawfulBasis", implicit(0, Utf8())), Opt("acknowledgeBy", implicit(1, Integer())),
             Opt("subjectRef", implicit(2, Utf8())), Opt("inReplyTo", implicit(3, Octets())),
             Opt("relatesTo", implicit(4, Octets())), Opt("condition", implicit(5, Utf8())))
Item = seq(Req("tag", Utf8()), Req("text", Utf8()), Req("source", Utf8()), Req("refersTo", Utf8()))
Field = seq(Req("name", Utf8()), Req("value", Utf8()))
Body = seq(Req("statement", Utf8()), Req("items", seq_of(Item())()), Req("fields", seq_of(Field())()),
           Opt("consentDetail", implicit(0, Utf8())), Opt("subjectInformed", implicit(1, univ.Boolean())),
           Opt("informedReason", implicit(2, Utf8())), Opt("ask", implicit(3, Utf8())), Opt("concern", implicit(4, Utf8())))

KINDS = {"share", "request", "decline", "decision", "consultation", "readback", "confirm", "clarify", "correction", "outcome"}
CODE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
MEMBER = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}@[a-z0-9][a-z0-9-]{0,62}$")


class Refused(Exception):
    pass


def der(data, spec, malformed_code):
    """Strict DER: decode, no trailing bytes, and re-encoding must give back the same bytes."""
    try:
        value, rest = decoder.decode(bytes(data), asn1Spec=spec)
    except SubstrateUnderrunError:
        raise Refused("packet.truncated")
    except PyAsn1Error:
        raise Refused(malformed_code)
    if rest or encoder.encode(value) != bytes(data):
        raise Refused(malformed_code)
    return value


def text(value):
    return bytes(value.asOctets()).decode("utf-8")


def strictly_sorted(values):
    encoded = [v.encode() for v in values]
    return all(a < b for a, b in zip(encoded, encoded[1:]))


def canonical_stanzas(stanzas):
    """Sorted by member id, then by sealed key; at most 8 (one per active device) for one member."""
    keyed = [(r.encode(), k) for r, k in stanzas]
    runs = {}
    for r, _ in keyed:
        runs[r] = runs.get(r, 0) + 1
    return all(a < b for a, b in zip(keyed, keyed[1:])) and all(n <= 8 for n in runs.values())


def open_packet(data, limit, sender_key, expected_sender, me, my_secret):
    if len(data) > limit:
        raise Refused("packet.too-large")
    packet = der(data, Packet(), "packet.malformed")
    version = int(packet["version"])
    if version not in (1, 2):
        raise Refused("packet.unsupported-version")
    stanzas = [(text(s["recipient"]), bytes(s["sealedKey"])) for s in packet["stanzas"]]
    body, signature, header_bytes = bytes(packet["body"]), bytes(packet["signature"]), bytes(packet["header"])
    if (not stanzas or not canonical_stanzas(stanzas) or any(len(k) != 80 or not MEMBER.match(r) for r, k in stanzas)
            or len(body) < 40 or len(signature) != 64):
        raise Refused("packet.malformed")
    digest = hashlib.sha256(encoder.encode(packet["stanzas"]) + body).digest()
    try:
        VerifyKey(sender_key).verify(b"isr/v1/header\x00" + header_bytes + digest, signature)
    except BadSignatureError:
        raise Refused("packet.bad-signature")
    header = der(header_bytes, Header(), "packet.invalid-header")
    recipients = [text(r) for r in header["recipients"]]
    field_names = [text(f) for f in header["fieldNames"]]
    if (text(header["kind"]) not in KINDS or len(bytes(header["id"])) != 16 or not recipients
            or not strictly_sorted(recipients) or not strictly_sorted(field_names)
            or not all(MEMBER.match(r) for r in recipients + [text(header["sender"])])
            or text(header["consent"]) not in {"given", "refused", "not-sought", "not-applicable"}
            or text(header["urgency"]) not in {"routine", "priority", "urgent"}):
        raise Refused("packet.invalid-header")
    # Version 2 added the special-category condition; a version 1 header cannot carry it.
    if header["condition"].isValue and (version == 1 or not CODE.match(text(header["condition"]))):
        raise Refused("packet.invalid-header")
    if text(header["sender"]) != expected_sender:
        raise Refused("packet.sender-mismatch")
    mine = [key for recipient, key in stanzas if recipient == me]
    if not mine:
        raise Refused("packet.not-for-recipient")
    content_key = None
    for sealed in mine:  # one stanza per device of the recipient: this key opens at most one of them
        try:
            content_key = SealedBox(PrivateKey(my_secret)).decrypt(sealed)
            break
        except CryptoError:
            continue
    if content_key is None:
        raise Refused("packet.stanza-unreadable")
    try:
        plaintext = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(body[24:], header_bytes, body[:24], content_key)
    except CryptoError:
        raise Refused("packet.body-tampered")
    decoded = der(plaintext, Body(), "packet.invalid-body")
    if any(text(i["tag"]) not in {"fact", "opinion", "reported"} for i in decoded["items"]):
        raise Refused("packet.invalid-body")
    if [text(f["name"]) for f in decoded["fields"]] != field_names:
        raise Refused("packet.fields-mismatch")
    return header_bytes, plaintext, header, decoded, stanzas


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "packet-v2.json")
    with open(path, encoding="utf-8") as f:
        vectors = json.load(f)
    keys = {k["id"]: k for k in vectors["keys"]}
    for k in keys.values():
        derived = hashlib.sha256(f"isr test key/{k['id']}/ed25519".encode()).hexdigest()
        assert derived == k["ed25519_seed"], f"key derivation differs for {k['id']}"
        assert bytes(PrivateKey(bytes.fromhex(k["x25519_secret"])).public_key).hex() == k["x25519_public"]
    agreed, disagreed = 0, []
    for v in vectors["vectors"]:
        expected = v["expected"]
        try:
            header_bytes, plaintext, header, body, stanzas = open_packet(
                bytes.fromhex(v["packet"]), v["max_packet_bytes"], bytes.fromhex(keys[v["verify_with_key_of"]]["ed25519_public"]),
                v["expected_sender"], v["open_as"], bytes.fromhex(keys[v["open_as"]]["x25519_secret"]))
            summary = expected.get("summary") or {}
            ok = (expected["result"] == "opened" and header_bytes.hex() == expected["header_der"] and plaintext.hex() == expected["body_der"]
                  and text(header["kind"]) == summary.get("kind") and [r for r, _ in stanzas] == summary.get("stanzas")
                  and [text(i["tag"]) for i in body["items"]] == summary.get("item_tags"))
            outcome = "opened"
        except Refused as refusal:
            outcome = refusal.args[0]
            ok = expected["result"] == "refused" and expected["code"] == outcome
        if ok:
            agreed += 1
        else:
            disagreed.append(f"{v['name']}: got {outcome}, recorded {expected.get('code') or expected['result']}")
    for line in disagreed:
        print("DISAGREE", line)
    print(f"second implementation: {agreed} of {len(vectors['vectors'])} vectors agree")
    return 0 if not disagreed else 1


if __name__ == "__main__":
    sys.exit(main())
