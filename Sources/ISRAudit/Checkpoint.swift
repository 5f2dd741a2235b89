import ISRCrypto
import SwiftASN1

/// A tree head the relay commits to: the log's origin, its size, its root and when.
///
///     Checkpoint ::= SEQUENCE { origin UTF8String, size INTEGER, root OCTET STRING (SIZE(32)), time INTEGER }
///     SignedCheckpoint ::= SEQUENCE { checkpoint OCTET STRING (DER of Checkpoint), signature OCTET STRING (SIZE(64)) }
///
/// The signature is Ed25519 by the relay's key over `"isr/v1/checkpoint" || 0x00 || checkpoint`.
public struct Checkpoint: Sendable, Equatable {
    /// Names the log (e.g. the relay's host name), so checkpoints of two deployments are never confused.
    public let origin: String
    public let size: UInt64
    public let root: [UInt8]
    /// Unix milliseconds, UTC.
    public let time: Int64

    public init(origin: String, size: UInt64, root: [UInt8], time: Int64) {
        self.origin = origin
        self.size = size
        self.root = root
        self.time = time
    }

    public func derEncoded() throws(AuditError) -> [UInt8] {
        guard root.count == MerkleHash.byteCount, !origin.isEmpty, origin.utf8.count <= 256, time >= 0 else {
            throw AuditError(.checkpointInvalid, "a checkpoint has a 1–256 byte origin, a 32-byte root and a non-negative time")
        }
        var serializer = DER.Serializer()
        do {
            try serializer.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(ASN1UTF8String(contentBytes: ArraySlice(origin.utf8)))
                try s.serialize(size)
                try s.serialize(ASN1OctetString(contentBytes: root[...]))
                try s.serialize(time)
            }
        } catch {
            throw AuditError(.checkpointInvalid, "the checkpoint could not be encoded")
        }
        return serializer.serializedBytes
    }

    public init(derEncoded bytes: [UInt8]) throws(AuditError) {
        do {
            self = try DER.sequence(try DER.parse(bytes), identifier: .sequence) { nodes in
                let origin = try ASN1UTF8String(derEncoded: &nodes)
                let size = try UInt64(derEncoded: &nodes)
                let root = try ASN1OctetString(derEncoded: &nodes)
                let time = try Int64(derEncoded: &nodes)
                guard let text = String(validating: origin.bytes, as: UTF8.self) else { throw AuditError(.checkpointInvalid, "origin is not UTF-8") }
                return Checkpoint(origin: text, size: size, root: Array(root.bytes), time: time)
            }
        } catch {
            throw AuditError(.checkpointInvalid, "the checkpoint is not canonical DER in the ISR layout")
        }
        guard try derEncoded() == bytes else {
            throw AuditError(.checkpointInvalid, "the checkpoint is not in canonical form")
        }
    }
}

/// A checkpoint with the relay's signature over its exact bytes.
public struct SignedCheckpoint: Sendable, Equatable {
    public let checkpointBytes: [UInt8]
    public let signature: [UInt8]

    /// Signs `checkpoint` with the relay's key.
    public init(signing checkpoint: Checkpoint, with key: SigningKeyPair) throws(AuditError) {
        checkpointBytes = try checkpoint.derEncoded()
        signature = key.sign(checkpointBytes, context: .checkpoint)
    }

    /// Frames a signed checkpoint without trusting it (bounded to 1 KiB); call `verified(with:)` next.
    public init(encoded bytes: [UInt8]) throws(AuditError) {
        guard bytes.count <= 1024 else { throw AuditError(.checkpointInvalid, "a signed checkpoint is at most 1024 bytes") }
        do {
            (checkpointBytes, signature) = try DER.sequence(try DER.parse(bytes), identifier: .sequence) { nodes in
                (Array(try ASN1OctetString(derEncoded: &nodes).bytes), Array(try ASN1OctetString(derEncoded: &nodes).bytes))
            }
        } catch {
            throw AuditError(.checkpointInvalid, "the signed checkpoint is not canonical DER in the ISR layout")
        }
    }

    public func encoded() -> [UInt8] {
        var serializer = DER.Serializer()
        // Two octet strings in a sequence: serialising them cannot fail.
        try? serializer.appendConstructedNode(identifier: .sequence) { s in
            try s.serialize(ASN1OctetString(contentBytes: checkpointBytes[...]))
            try s.serialize(ASN1OctetString(contentBytes: signature[...]))
        }
        return serializer.serializedBytes
    }

    /// Verifies the relay's signature, then parses the checkpoint.
    public func verified(with relayKey: SigningPublicKey) throws(AuditError) -> Checkpoint {
        guard relayKey.isValidSignature(signature, for: checkpointBytes, context: .checkpoint) else {
            throw AuditError(.checkpointSignature, "the checkpoint is not signed by the relay's pinned key")
        }
        return try Checkpoint(derEncoded: checkpointBytes)
    }
}
