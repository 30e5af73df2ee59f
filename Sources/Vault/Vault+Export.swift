public import Foundation
import VaultAudit
import VaultCrypto
import VaultFormat
import VaultPolicy
import VaultStore

/// A customer's access log, each entry with an inclusion proof checked against a signed checkpoint
/// that the vault's witnesses cosigned.
public struct AccessLog: Sendable, Encodable {
    /// The signed checkpoint the proofs were verified against, with every witness's cosignature.
    public let checkpoint: String
    /// What each witness said about that checkpoint (empty when none is configured: then the log
    /// is anchored only on the vault's own machine).
    public let witnesses: [WitnessStatus]
    /// The checkpoint's tree size.
    public let size: UInt64
    /// The entries, oldest first.
    public let entries: [Item]
    /// Whether every proof verified against the checkpoint's signed root.
    public let allVerified: Bool

    /// One entry and its proof.
    public struct Item: Sendable, Encodable {
        /// Leaf index.
        public let seq: UInt64
        /// The exact leaf bytes (base64).
        public let leaf: String
        /// The decoded entry.
        public let entry: AuditEntryJSON
        /// Base64 proof hashes.
        public let proof: [String]
        /// Whether the proof verified.
        public let verified: Bool
    }
}

/// The result of checking an export offline.
public struct ExportVerification: Sendable, Encodable {
    /// Whether the signature (by the pinned key), the checkpoint and every proof verified.
    public let ok: Bool
    /// Whether a key to check against was given; without one, anyone could have signed the
    /// document with a key of their own, so it is never `ok`.
    public let pinned: Bool
    /// The customer it belongs to.
    public let customer: String?
    /// Audit entries whose inclusion was proven.
    public let entriesVerified: Int
    /// What failed.
    public let problems: [String]
}

extension Vault {
    /// The customer's own audit entries, each with an inclusion proof verified against the latest
    /// checkpoint's *signed* root (so a tampered database cannot fake them).
    public func myLog(by principal: Principal) async throws -> AccessLog {
        let customerID = try selfID(principal, .selfRead)
        let (note, items, witnesses) = try await proveOwnEntries(customerID: customerID, principal: principal, op: .selfLog)
        return AccessLog(
            checkpoint: note.text,
            witnesses: witnesses,
            size: note.checkpoint.size,
            entries: items,
            allVerified: items.allSatisfy(\.verified)
        )
    }

    /// Appends `op`, signs a checkpoint covering it, has the witnesses cosign it, and proves every
    /// entry of the customer against it.
    private func proveOwnEntries(
        customerID: String,
        principal: Principal,
        op: AuditOperation
    ) async throws -> (SignedCheckpoint, [AccessLog.Item], [WitnessStatus]) {
        let origin = self.origin
        let signingKey = self.signingKey
        let publicKey = self.publicKey
        let (noteText, items) = try await record { tx, audit -> (String, [(AuditRow, [SHA256Digest])]) in
            _ = try self.loadForDecision(tx, customerID: customerID, principal: principal, purpose: nil, fields: [], audit: &audit, op: op)
            try audit.append(AuditDraft(principal: principal, customer: customerID, op: op, decision: .allow, reason: .allowedSelf))
            let checkpoint = try audit.checkpoint(origin: origin, signingKey: signingKey)
            let nodes = StoredNodes(reader: tx)
            var proofs: [(AuditRow, [SHA256Digest])] = []
            var from: UInt64 = 0
            while true {
                let rows = try tx.auditEntries(from: from, limit: 1000, customerID: customerID)
                for row in rows {
                    proofs.append((row, try MerkleTree.inclusionProof(leafIndex: row.seq, size: checkpoint.size, nodes: nodes)))
                }
                guard let last = rows.last, rows.count == 1000 else { break }
                from = last.seq + 1
            }
            return (checkpoint.note, proofs)
        }
        let (witnessed, witnesses) = await witness(noteText)
        let note = try SignedCheckpoint.parse(witnessed)
        try note.verify(publicKey: publicKey, keyName: origin)
        let result = try items.map { row, proof in
            let leaf = Array(row.leaf)
            let verified =
                (try? MerkleTree.verifyInclusion(
                    leafHash: MerkleTree.leafHash(leaf),
                    leafIndex: row.seq,
                    size: note.checkpoint.size,
                    proof: proof,
                    root: note.checkpoint.rootHash
                )) != nil
            return AccessLog.Item(
                seq: row.seq,
                leaf: row.leaf.base64EncodedString(),
                entry: AuditEntryJSON(try Self.decode(row)),
                proof: proof.map { Data($0.bytes).base64EncodedString() },
                verified: verified
            )
        }
        return (note, result, witnesses)
    }

    /// Everything the vault holds about the customer — profile, consents, contests, and their audit
    /// entries with inclusion proofs — as one JSON document signed with the vault's key.
    public func exportMine(by principal: Principal) async throws -> Data {
        let customerID = try selfID(principal, .selfExport)
        let profile = try await myProfile(by: principal)
        let consents = try await myConsents(by: principal)
        let contests = try await myContests(by: principal)
        let (note, items, witnesses) = try await proveOwnEntries(customerID: customerID, principal: principal, op: .selfExport)

        var profileJSON: [String: JSONValue] = [:]
        for (name, value) in profile.values { profileJSON[name] = value.canonical }
        let document = JSONValue.object([
            "type": .string("cvault-export/v1"),
            "origin": .string(origin),
            "customer": .string(customerID),
            "exported_at": .string(AuditTimestamp(clock.now()).rfc3339),
            "public_key": .string(Data(publicKey.rawRepresentation).base64EncodedString()),
            "profile": .object(profileJSON),
            "consents": .array(
                consents.map { consent in
                    var object: [String: JSONValue] = [
                        "purpose": .string(consent.purpose), "basis": .string(consent.basis),
                        "holds": .bool(consent.holds),
                    ]
                    if let state = consent.state { object["state"] = .string(state) }
                    if let at = consent.at { object["at"] = .string(AuditTimestamp(at).rfc3339) }
                    return .object(object)
                }
            ),
            "contests": .array(
                contests.map { contest in
                    var object: [String: JSONValue] = [
                        "id": .string(contest.id), "field": .string(contest.field), "status": .string(contest.status),
                        "opened_at": .string(AuditTimestamp(contest.openedAt).rfc3339),
                        "deadline": .string(AuditTimestamp(contest.deadline).rfc3339),
                    ]
                    if let value = contest.proposedValue { object["proposed_value"] = value.canonical }
                    if let reason = contest.reason { object["reason"] = .string(reason) }
                    if let resolution = contest.resolution { object["resolution"] = .string(resolution) }
                    return .object(object)
                }
            ),
            "audit": .object([
                "checkpoint": .string(note.text),
                "witnesses": .array(
                    witnesses.map { witness in
                        .object(["name": .string(witness.name), "state": .string(witness.state.rawValue), "detail": .string(witness.detail)])
                    }
                ),
                "entries": .array(
                    items.map { item in
                        .object([
                            "seq": .integer(Int64(item.seq)),
                            "leaf": .string(item.leaf),
                            "proof": .array(item.proof.map { .string($0) }),
                        ])
                    }
                ),
            ]),
        ])
        let bytes = document.canonicalBytes
        let signature = try signingKey.signature(for: bytes)
        var file = Array(#"{"document":"#.utf8)
        file += bytes
        file += Array(#","signature":""#.utf8) + Array(Data(signature).base64EncodedString().utf8) + Array("\"}\n".utf8)
        return Data(file)
    }

    /// Checks an export offline against the vault's public key, pinned by the caller: the
    /// signature over the document, the checkpoint's signature, and every entry's inclusion proof
    /// against the checkpoint's root. Without a pinned key the result says UNPINNED and is not ok.
    public static func verifyExport(_ data: Data, pinnedPublicKey: String?) -> ExportVerification {
        var problems: [String] = []
        guard let wrapper = try? JSONValue(parsingCanonical: Array(data).trimmingTrailingNewline),
            case .object(let top) = wrapper, case .object(let document)? = top["document"],
            case .string(let signatureText)? = top["signature"], let signature = Data(base64Encoded: signatureText)
        else {
            return ExportVerification(
                ok: false,
                pinned: pinnedPublicKey != nil,
                customer: nil,
                entriesVerified: 0,
                problems: ["not a cvault export (expected {\"document\":…,\"signature\":…})"]
            )
        }
        let customer: String? = if case .string(let id)? = document["customer"] { id } else { nil }
        let named: String? = if case .string(let key)? = document["public_key"] { key } else { nil }
        guard let keyText = pinnedPublicKey ?? named, let keyBytes = Data(base64Encoded: keyText),
            let publicKey = try? Ed25519.PublicKey(rawRepresentation: keyBytes)
        else {
            return ExportVerification(
                ok: false,
                pinned: pinnedPublicKey != nil,
                customer: customer,
                entriesVerified: 0,
                problems: [pinnedPublicKey == nil ? "the document names no valid public key" : "the pinned key is not a base64 Ed25519 public key"]
            )
        }
        if pinnedPublicKey == nil {
            problems.append(Self.unpinned)
        } else if named != keyText {
            problems.append("the document names another key than the one you pinned")
        }
        if !publicKey.isValidSignature(signature, for: JSONValue.object(document).canonicalBytes) {
            problems.append("the vault's signature over the document does not verify: the export was altered")
        }
        var verified = 0
        if case .object(let audit)? = document["audit"], case .string(let noteText)? = audit["checkpoint"],
            case .string(let origin)? = document["origin"], case .array(let entries)? = audit["entries"]
        {
            if let note = try? SignedCheckpoint.parse(noteText), (try? note.verify(publicKey: publicKey, keyName: origin)) != nil {
                for item in entries {
                    guard case .object(let entry) = item, let seq = entry["seq"]?.integer, case .string(let leafText)? = entry["leaf"],
                        let leaf = Data(base64Encoded: leafText), case .array(let proofItems)? = entry["proof"]
                    else {
                        problems.append("an audit entry is malformed")
                        continue
                    }
                    let proof = proofItems.compactMap { item -> SHA256Digest? in
                        guard case .string(let text) = item, let bytes = Data(base64Encoded: text) else { return nil }
                        return SHA256Digest(bytes: Array(bytes))
                    }
                    guard proof.count == proofItems.count, seq >= 0,
                        (try? MerkleTree.verifyInclusion(
                            leafHash: MerkleTree.leafHash(Array(leaf)),
                            leafIndex: UInt64(seq),
                            size: note.checkpoint.size,
                            proof: proof,
                            root: note.checkpoint.rootHash
                        )) != nil
                    else {
                        problems.append("audit entry \(seq) is not proven to be in the signed log")
                        continue
                    }
                    guard let decoded = try? AuditEntry(leafBytes: Array(leaf)), decoded.seq == UInt64(seq), decoded.customer == customer else {
                        problems.append("audit entry \(seq) is not an entry about this customer")
                        continue
                    }
                    verified += 1
                }
            } else {
                problems.append("the audit checkpoint is not signed by the document's key")
            }
        } else {
            problems.append("the document has no audit section")
        }
        return ExportVerification(
            ok: problems.isEmpty,
            pinned: pinnedPublicKey != nil,
            customer: customer,
            entriesVerified: verified,
            problems: problems
        )
    }

    /// What a check without a pinned key says.
    static let unpinned =
        "UNPINNED: no public key was given to check against, so anyone could have signed this with a key of their own; check it against the vault's public key (from `cvault audit public-key`)"

    /// Checks an erasure receipt (as `me erase --json` or `DELETE /v1/me` gave it) against the
    /// vault's public key, pinned by the caller. Without a pinned key the result says UNPINNED and is not ok.
    public static func verifyReceipt(_ data: Data, pinnedPublicKey: String?) -> ReceiptVerification {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let statement = object["statement"] as? String, let signatureText = object["signature"] as? String,
            let signature = Data(base64Encoded: signatureText),
            case .object(let fields)? = try? JSONValue(parsingCanonical: Array(statement.utf8)),
            case .string(let type)? = fields["type"], type.hasPrefix("cvault-erasure-receipt/")
        else {
            return ReceiptVerification(
                ok: false,
                pinned: pinnedPublicKey != nil,
                customer: nil,
                backupsUndecryptableFrom: nil,
                problems: ["not a cvault erasure receipt (expected {\"statement\":…,\"signature\":…})"]
            )
        }
        let customer: String? = if case .string(let id)? = fields["customer"] { id } else { nil }
        let from: String? = if case .string(let date)? = fields["backups_undecryptable_from"] { date } else { nil }
        var problems: [String] = []
        let named = (object["public_key"] ?? object["publicKey"]) as? String
        guard let keyText = pinnedPublicKey ?? named, let keyBytes = Data(base64Encoded: keyText),
            let publicKey = try? Ed25519.PublicKey(rawRepresentation: keyBytes)
        else {
            return ReceiptVerification(
                ok: false,
                pinned: pinnedPublicKey != nil,
                customer: customer,
                backupsUndecryptableFrom: from,
                problems: ["no valid public key to check the receipt against"]
            )
        }
        if pinnedPublicKey == nil { problems.append(unpinned) }
        if !publicKey.isValidSignature(signature, for: Array(statement.utf8)) {
            problems.append(
                "the signature does not verify with \(pinnedPublicKey == nil ? "the key the receipt names" : "the pinned key"): the receipt was altered or signed by another key"
            )
        }
        return ReceiptVerification(
            ok: problems.isEmpty,
            pinned: pinnedPublicKey != nil,
            customer: customer,
            backupsUndecryptableFrom: from,
            problems: problems
        )
    }

    /// The public key (base64) recorded in the vault folder's `vault.json`, to pin checks to.
    public static func publicKey(of directory: URL) throws -> String {
        try VaultMetadata.load(from: directory).publicKey
    }
}

/// The result of checking an erasure receipt offline.
public struct ReceiptVerification: Sendable, Encodable {
    /// Whether the signature verified with the pinned key.
    public let ok: Bool
    /// Whether a key to check against was given.
    public let pinned: Bool
    /// The customer it is about.
    public let customer: String?
    /// When, by the receipt, no backup can decrypt the customer's data any more.
    public let backupsUndecryptableFrom: String?
    /// What failed.
    public let problems: [String]
}

extension FieldValue {
    /// The value in canonical JSON (decimals as exact strings, so no float ever rounds).
    var canonical: JSONValue {
        switch self {
        case .string(let s): .string(s)
        case .integer(let i): .integer(i)
        case .decimal: .string(description)
        case .date(let day): .string(FieldCodec.dateString(day))
        case .stringList(let list): .array(list.map { .string($0) })
        case .decimalMap(let map): .object(map.mapValues { FieldValue.decimal($0).canonical })
        case .purchases(let purchases):
            .array(
                purchases.map {
                    .object([
                        "date": .string(FieldCodec.dateString($0.day)), "amount": FieldValue.decimal($0.amountCents).canonical,
                        "margin": FieldValue.decimal($0.marginCents).canonical, "category": .string($0.category),
                    ])
                }
            )
        }
    }
}

extension Array where Element == UInt8 {
    var trimmingTrailingNewline: [UInt8] {
        var copy = self
        while let last = copy.last, last == 0x0a || last == 0x0d || last == 0x20 { copy.removeLast() }
        return copy
    }
}
