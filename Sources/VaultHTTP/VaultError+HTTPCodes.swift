import Vault

/// The codes only the HTTP layer gives: requests that never reach the facade.
extension VaultError.Code {
    /// A portal form is missing or has malformed fields.
    static let badForm = Self(rawValue: "bad_form")
    /// A request body is larger than the server accepts.
    static let bodyTooLarge = Self(rawValue: "body_too_large")
    /// A portal form came from another site.
    static let crossSiteForm = Self(rawValue: "cross_site_form")
    /// A portal form's anti-forgery token is missing or wrong.
    static let formToken = Self(rawValue: "form_token")
    /// The server failed in a way the request did not cause.
    static let internalError = Self(rawValue: "internal_error")
    /// A request body is not the JSON the route expects.
    static let invalidBody = Self(rawValue: "invalid_body")
    /// A query is malformed or asks what the policy does not allow.
    static let invalidQuery = Self(rawValue: "invalid_query")
    /// The server could not listen on its address.
    static let listenFailed = Self(rawValue: "listen_failed")
    /// The route exists but not for this method.
    static let methodNotAllowed = Self(rawValue: "method_not_allowed")
    /// No route has this path.
    static let noRoute = Self(rawValue: "no_route")
    /// The port is in use by another process.
    static let portInUse = Self(rawValue: "port_in_use")
    /// A request body's content type is not JSON.
    static let unsupportedMediaType = Self(rawValue: "unsupported_media_type")
}
