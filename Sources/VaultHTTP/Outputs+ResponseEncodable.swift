import Hummingbird

// What handlers return: values the context's one encoder (`APIResponseEncoder`) writes.
extension Outputs.AccessLog: ResponseEncodable {}
extension Outputs.Aggregate: ResponseEncodable {}
extension Outputs.BudgetPeriod: ResponseEncodable {}
extension Outputs.Checkpoint: ResponseEncodable {}
extension Outputs.ConsistencyProof: ResponseEncodable {}
extension Outputs.Contest: ResponseEncodable {}
extension Outputs.Erasure: ResponseEncodable {}
extension Outputs.Health: ResponseEncodable {}
extension Outputs.InclusionProof: ResponseEncodable {}
extension Outputs.Report: ResponseEncodable {}
extension Outputs.Updated: ResponseEncodable {}

/// A facade answer the API returns in the facade's own shape (`ConsentView`, `NextBestProduct`):
/// conforming those public types themselves would make Hummingbird part of the facade's API.
struct FacadeAnswer<Value: Encodable>: ResponseEncodable {
    let value: Value

    init(_ value: Value) { self.value = value }

    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
