/// A job the demo enqueued: enough to read it back and to narrate it.
struct DemoJob: Sendable {
    var id: Int64
    var company: String
    var statement: String
}
