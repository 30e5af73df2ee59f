/// What the templates read. The layout reads the screen's own fields; a page's content reads its
/// `body` (inside `{{#body}}`), falling back to the screen's for the form token.
struct Screen<Body: Sendable>: Sendable {
    let firm: String
    let csrf: String
    let signedIn: Bool
    let notice: String?
    let error: String?
    let navProfile: Bool
    let navLog: Bool
    let navConsents: Bool
    let navContests: Bool
    let navRecommendations: Bool
    let navErase: Bool
    let body: Body
}

struct Empty: Sendable {}
struct CodeBody: Sendable { let address: String }
struct LinkBody: Sendable { let secret: String }
struct MessageBody: Sendable {
    let heading: String
    let text: String
    let next: String
    let nextLabel: String
}

struct ProfileBody: Sendable { let sections: [ProfileSection] }
struct ProfileSection: Sendable {
    let key: String
    let title: String
    let intro: String
    let fields: [ProfileField]
}
struct ProfileField: Sendable {
    let label: String
    let value: String
    let about: String
    let category: String
    let retention: String
}

struct LogBody: Sendable {
    let verifierKey: String
    let witnessKeys: String
    let hasWitnesses: Bool
    let customer: String
    let count: Int
    let entries: [LogRow]
    let verificationNote: String
}
struct LogRow: Sendable {
    let seq: String
    let op: String
    let decision: String
    /// The signed entry's own values, which `verify.js` compares with the leaf before it says "verified".
    let rawAt: String
    let rawActor: String
    let rawRole: String
    let rawPurpose: String
    let rawFields: String
    let rawReason: String
    let when: String
    let who: String
    let what: String
    let why: String
    let fields: String
    let outcome: String
}

struct ConsentsBody: Sendable { let purposes: [PurposeBox] }
struct PurposeBox: Sendable {
    let name: String
    let title: String
    let description: String
    let basis: String
    let state: String
    let actions: [PurposeAction]
}
struct PurposeAction: Sendable {
    let purpose: String
    let state: String
    let label: String
}

struct ContestsBody: Sendable {
    let deadline: String
    let fields: [FieldChoice]
    let contests: [ContestBox]
}
struct FieldChoice: Sendable {
    let name: String
    let label: String
}
struct ContestBox: Sendable {
    let id: String
    let field: String
    let status: String
    let opened: String
    let deadline: String
    let overdue: Bool
    let proposed: String?
    let reason: String?
    let resolution: String?
    let canReply: Bool
    let canWithdraw: Bool
}

struct EraseBody: Sendable { let phrase: String }
struct ErasedBody: Sendable {
    let statement: String
    let erasedAt: String
    let backupsFrom: String
    let receiptLink: String
}

struct RecommendationsBody: Sendable {
    let holds: Bool
    let items: [RecommendationItem]
    let note: String?
}
struct RecommendationItem: Sendable {
    let category: String
    let reasons: String
}
