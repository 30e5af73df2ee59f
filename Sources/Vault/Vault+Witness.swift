public import Foundation
import Logging
import Synchronization
import VaultAudit
import VaultCrypto
import VaultPolicy
import VaultStore

extension Vault {
    /// Submits `note`, a checkpoint this vault signed, to every configured witness, keeps each
    /// cosignature, and returns the note with every valid cosignature added and what each witness said.
    func witness(_ note: String, to chosen: [WitnessClient.Witness]? = nil) async -> (note: String, statuses: [WitnessStatus]) {
        let witnesses = chosen ?? witnessClient.witnesses
        guard !witnesses.isEmpty, let signed = try? SignedCheckpoint.parse(note) else { return (note, []) }
        var cosigned = signed
        var statuses: [WitnessStatus] = []
        await withTaskGroup(of: (WitnessStatus, SignedNote.Signature?).self) { group in
            for witness in witnesses {
                group.addTask { await self.submit(signed, to: witness) }
            }
            for await (status, cosignature) in group {
                statuses.append(status)
                if let cosignature { cosigned = cosigned.adding(cosignatures: [cosignature]) }
            }
        }
        return (cosigned.text, statuses.sorted { $0.name < $1.name })
    }

    /// One witness: tells it the size it last cosigned (learning it from a 409 when the vault's
    /// record is stale), proves consistency from there, and checks and keeps its cosignature.
    private func submit(_ signed: SignedCheckpoint, to witness: WitnessClient.Witness) async -> (WitnessStatus, SignedNote.Signature?) {
        let name = witness.key.name
        let url = witness.url.absoluteString
        func status(_ state: WitnessStatus.State, _ size: UInt64?, _ detail: String) -> WitnessStatus {
            WitnessStatus(name: name, url: url, state: state, size: size, detail: detail)
        }
        let checkpoint = signed.checkpoint
        let keyText = witness.key.description
        var old: UInt64 = 0
        if let row = try? await storage.read({ tx in try tx.witnessCosignatures().first { $0.witness == keyText } }),
            let kept = try? SignedCheckpoint.parse(row.note), kept.checkpoint.origin == checkpoint.origin
        {
            old = kept.checkpoint.size
        }
        for _ in 0..<3 {
            if old > checkpoint.size {
                return (status(.ahead, old, "\(name) has cosigned a tree of \(old) entries, larger than this checkpoint's \(checkpoint.size)"), nil)
            }
            let proof: [SHA256Digest]
            do {
                let from = old
                proof =
                    from > 0 && from < checkpoint.size
                    ? try await storage.read { tx in try MerkleTree.consistencyProof(from: from, to: checkpoint.size, nodes: StoredNodes(reader: tx))
                    }
                    : []
            } catch {
                return (status(.forked, old, "this log cannot prove it extends the tree of \(old) entries \(name) cosigned"), nil)
            }
            let body = AddCheckpointRequest(oldSize: old, proof: proof, checkpoint: signed).body
            guard let (code, answer) = await WitnessClient.post(body, to: witness) else {
                return (status(.unreachable, nil, "\(name) at \(url) could not be reached"), nil)
            }
            switch code {
            case 200:
                // Only a line that verifies with the witness's own key is kept; anything else in the
                // answer is ignored, as signed-note asks.
                guard
                    let (cosignature, time) = SignedCheckpoint.cosignatureLines(in: answer).lazy.compactMap({ line in
                        signed.adding(cosignatures: [line]).cosignatureTime(by: witness.key).map { (line, $0) }
                    }).first
                else {
                    return (status(.unreachable, nil, "\(name) answered without a valid cosignature by its key"), nil)
                }
                let row = WitnessCosignatureRow(
                    witness: keyText,
                    size: checkpoint.size,
                    note: signed.adding(cosignatures: [cosignature]).text,
                    at: clock.now()
                )
                try? await storage.write { tx in try tx.putWitnessCosignature(row) }
                return (
                    status(
                        .cosigned,
                        checkpoint.size,
                        "\(name) cosigned the tree of \(checkpoint.size) entries at \(UTC.format(Date(timeIntervalSince1970: Double(time))))"
                    ),
                    cosignature
                )
            case 409:
                guard let size = UInt64(String(decoding: answer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    return (status(.unreachable, nil, "\(name) answered 409 without a usable size"), nil)
                }
                // The size the vault sent back is refused again: an earlier version of the spec's
                // way of saying a checkpoint of that size with another root was cosigned — a fork.
                guard size != old else {
                    return (status(.forked, size, "\(name) refuses this checkpoint: it cosigned another tree of \(size) entries"), nil)
                }
                old = size
            case 404:
                return (status(.unknownLog, nil, "\(name) does not watch \(checkpoint.origin): add this log to it (`cvault witness trust`)"), nil)
            case 422:
                return (
                    status(
                        .forked,
                        old,
                        "\(name) refuses this checkpoint: it is not consistent with the tree of \(old) entries the witness cosigned"
                    ), nil
                )
            default:
                return (status(.unreachable, nil, "\(name) answered HTTP \(code): \(String(decoding: answer.prefix(200), as: UTF8.self))"), nil)
            }
        }
        return (status(.unreachable, nil, "\(name) kept changing its size"), nil)
    }

    /// Hands a freshly committed checkpoint to the witnesses in the background; a newer one
    /// replaces one still waiting, so a busy vault submits as often as witnesses answer.
    func offerToWitnesses(_ note: String) {
        guard !witnessClient.witnesses.isEmpty else { return }
        WitnessQueue.shared.offer(note, vault: self)
    }

    /// Waits (up to `timeout`) until every checkpoint this process committed is kept outside the
    /// database and was submitted to the witnesses: a command-line process calls it before it exits.
    public static func settle(timeout: Duration = .seconds(5)) async {
        await LocalAnchor.settle(timeout: timeout)
        await WitnessQueue.shared.idle(timeout: timeout)
    }

    /// Configures a witness: checkpoints are submitted to it from now on, starting with the newest.
    ///
    /// - Parameters:
    ///   - url: the witness's http(s) base URL; checkpoints go to its `add-checkpoint`.
    ///   - key: the witness's cosignature/v1 verifier key, as `cvault witness init` printed it.
    ///   - principal: a role the policy grants `rotate_keys`.
    /// - Returns: what the witness said about the newest checkpoint, submitted at once.
    /// - Throws: `VaultError.Code.badWitnessUrl`; `.badWitnessKey` for a well-formed key of another kind; `.witnessKnown`
    ///   when the vault already submits to that key; kind `.denied` without `rotate_keys`. An unreachable witness is a status.
    public func addWitness(url: String, key: String, by principal: Principal) async throws -> WitnessStatus {
        try requireOperation(.rotateKeys, principal)
        let entry = VaultMetadata.WitnessConfiguration(url: url, key: key)
        let client = try WitnessClient([entry])
        var updated = try VaultMetadata.load(from: directory)
        guard !(updated.witnesses ?? []).contains(where: { $0.key == key }) else {
            throw VaultError.conflict(.witnessKnown, "this vault already submits to that witness")
        }
        updated.witnesses = (updated.witnesses ?? []) + [entry]
        try updated.write(to: directory)
        try await record { _, audit in
            try audit.append(
                AuditDraft(
                    principal: principal,
                    op: .witnessAdd,
                    decision: .allow,
                    reason: .byOperator,
                    details: ["url": url, "key": key]
                )
            )
        }
        witnessClientState.withLock { $0 = (try? WitnessClient(updated.witnesses ?? [])) ?? $0 }
        return await witness(try await checkpoint(), to: client.witnesses).statuses[0]
    }
}

extension Vault {
    /// Stops submitting checkpoints to the witness with this verifier key.
    public func removeWitness(key: String, by principal: Principal) async throws {
        try requireOperation(.rotateKeys, principal)
        var updated = try VaultMetadata.load(from: directory)
        guard (updated.witnesses ?? []).contains(where: { $0.key == key }) else {
            throw VaultError.notFound("witness with key \(key.prefix(60))")
        }
        updated.witnesses = updated.witnesses?.filter { $0.key != key }
        try updated.write(to: directory)
        witnessClientState.withLock { $0 = (try? WitnessClient(updated.witnesses ?? [])) ?? $0 }
        try await record { _, audit in
            try audit.append(AuditDraft(principal: principal, op: .witnessRemove, decision: .allow, reason: .byOperator, details: ["key": key]))
        }
    }
}

/// A configured witness and the newest checkpoint it cosigned for this vault.
public struct WitnessView: Sendable, Codable {
    /// Its key name.
    public let name: String
    /// Where the vault submits.
    public let url: String
    /// Its verifier key.
    public let key: String
    /// The size of the newest checkpoint it cosigned, if any.
    public let cosignedSize: UInt64?
    /// When the vault received that cosignature.
    public let cosignedAt: Date?
}

extension Vault {
    /// The witnesses `vault.json` names, with what each cosigned last.
    public func listWitnesses(by principal: Principal) async throws -> [WitnessView] {
        try requireOperation(.rotateKeys, principal)
        let kept = try await storage.read { tx in try tx.witnessCosignatures() }
        return witnessClient.witnesses.map { witness in
            let row = kept.first { $0.witness == witness.key.description }
            return WitnessView(
                name: witness.key.name,
                url: witness.url.absoluteString,
                key: witness.key.description,
                cosignedSize: row?.size,
                cosignedAt: row?.at
            )
        }
    }
}

extension SignedCheckpoint {
    /// The signature lines of a witness's `add-checkpoint` answer.
    static func cosignatureLines(in body: [UInt8]) -> [SignedNote.Signature] {
        let text = String(decoding: body, as: UTF8.self)
        // Parsed as the signature block of a note whose text is irrelevant here.
        return (try? SignedNote(parsing: "x\n\n" + text).signatures) ?? []
    }
}

/// The checkpoints waiting for the witnesses in this process, newest per vault.
final class WitnessQueue: Sendable {
    static let shared = WitnessQueue()

    private struct State {
        var pending: [ObjectIdentifier: (note: String, vault: Vault)] = [:]
        var running: Set<ObjectIdentifier> = []
    }

    private let state = Mutex(State())

    func offer(_ note: String, vault: Vault) {
        let id = ObjectIdentifier(vault)
        let start = state.withLock { state -> Bool in
            state.pending[id] = (note, vault)
            return state.running.insert(id).inserted
        }
        guard start else { return }
        Task {
            while let (note, vault) = self.state.withLock({ state -> (String, Vault)? in
                guard let next = state.pending.removeValue(forKey: id) else {
                    state.running.remove(id)
                    return nil
                }
                return (next.note, next.vault)
            }) {
                let (_, statuses) = await vault.witness(note)
                for status in statuses where status.state != .cosigned {
                    vault.logger.warning(
                        "a witness did not cosign the newest checkpoint",
                        metadata: ["witness": "\(status.name)", "state": "\(status.state.rawValue)"]
                    )
                }
            }
        }
    }

    func idle(timeout: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while state.withLock({ !$0.running.isEmpty }), clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
