import VaultPolicy

extension CustomerView {
    /// The view as the API answers it: `customer`, the refused fields with the policy's code and
    /// reason (`denied`), `purpose` when the read had one, and the allowed `values` in the import
    /// format; keys sorted. Written directly rather than through `JSONEncoder`, which cost a sixth
    /// of an audited read's CPU.
    package func write(into json: inout JSONWriter) {
        json.beginObject()
        json.key("customer")
        json.string(customerID)
        json.key("denied")
        json.beginArray()
        for decision in decisions where !decision.allowed {
            json.beginObject()
            json.key("code")
            json.string(decision.decision.code.rawValue)
            json.key("field")
            json.string(decision.field)
            json.key("reason")
            json.string(decision.decision.reason)
            json.endObject()
        }
        json.endArray()
        if let purpose {
            json.key("purpose")
            json.string(purpose)
        }
        json.key("values")
        json.beginObject()
        for name in values.keys.sorted() {
            json.key(name)
            FieldCodec.write(values[name]!, into: &json)
        }
        json.endObject()
        json.endObject()
    }

    /// `views` as a JSON array of `write(into:)`'s objects.
    package static func json(_ views: [CustomerView]) -> [UInt8] {
        var json = JSONWriter(capacity: 1536 * max(views.count, 1))
        json.beginArray()
        for view in views { view.write(into: &json) }
        json.endArray()
        return json.bytes
    }

    /// The view as one JSON object (see `write(into:)`).
    package var json: [UInt8] {
        var json = JSONWriter(capacity: 1536)
        write(into: &json)
        return json.bytes
    }
}
