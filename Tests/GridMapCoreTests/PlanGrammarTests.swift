import Testing

@testable import GridMapCore
@testable import GridMapPlanning

/// The planning grammar, once for every skin: each operation and read by name and named
/// arguments, every spelling of a name alike, and the same refusal for the same mistake.
@Suite struct PlanGrammarTests {
    private func code(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch let e as RequestError { return e.code } catch { return "\(error)" }
    }

    @Test func readsByName() throws {
        let a = { (values: [String: String]) in NamedArguments(values.mapValues { [$0] }) }
        guard case .open(let name) = try PlanGrammar.read("open", a(["name": "北区调整"])) else {
            Issue.record("open"); return
        }
        #expect(name == "北区调整")
        guard case .drafts(let all) = try PlanGrammar.read("DRAFTS", a(["all": "1"])),
              case .drafts(let none) = try PlanGrammar.read("drafts", a([:])) else { Issue.record("drafts"); return }
        #expect(all && !none)
        guard case .impact(3, .svg) = try PlanGrammar.read("impact", a(["draft": "3", "form": "SVG"])),
              case .impact(3, .json) = try PlanGrammar.read("impact", a(["draft": "3"])),
              case .impact(3, .withChanges) = try PlanGrammar.read("impact", a(["draft": "3", "form": "changes"]))
        else { Issue.record("impact"); return }
        guard case .grid(7, "450203001001001") = try PlanGrammar.read("grid", a(["draft": "7", "grid": "450203001001001"]))
        else { Issue.record("grid"); return }
        guard case .validate(.version("current"), _) = try PlanGrammar.read("validate", a([:])),
              case .validate(.draft(2), let rules) = try PlanGrammar.read("validate", a(["draft": "2", "sliver": "5"]))
        else { Issue.record("validate"); return }
        #expect(rules.sliverArea == 5)
        guard case .rollback("3", "back") = try PlanGrammar.read("rollback", a(["version": "3", "message": "back"]))
        else { Issue.record("rollback"); return }
        // Any request: a draft operation takes its draft from the arguments.
        guard case .discard(4) = try PlanGrammar.request("discard", a(["draft": "4"]), source: "t"),
              case .show(4) = try PlanGrammar.request("show", a(["draft": "4"]), source: "t")
        else { Issue.record("request"); return }
    }

    @Test func theSameMistakeTheSameRefusal() {
        let a = { (values: [String: String]) in NamedArguments(values.mapValues { [$0] }) }
        #expect(code { try PlanGrammar.read("impact", a(["draft": "3", "form": "pdf"])) } == "bad_format")
        #expect(code { try PlanGrammar.read("drafts", a(["all": "maybe"])) } == "bad_flag")
        #expect(code { try PlanGrammar.read("show", a([:])) } == "missing")
        #expect(code { try PlanGrammar.read("show", a(["draft": "x"])) } == "bad_number")
        #expect(code { try PlanGrammar.read("grids", a(["draft": "0"])) } == "bad_draft")
        #expect(code { try PlanGrammar.read("validate", a(["draft": "1", "version": "2"])) } == "bad_request")
        #expect(code { try PlanGrammar.request("split", a(["grid": "g", "line": "LINESTRING(0 0,1 1)"]),
                                               source: "t") } == "missing", "an operation needs its draft")
        for name in ["teleport", "", "split!"] {
            #expect(code { try PlanGrammar.request(name, a(["draft": "1"]), source: "t") } == "unknown_operation")
            #expect(code { try PlanGrammar.read(name, a([:])) } == "unknown_operation")
        }
        let message = PlanGrammar.unknown("x").message
        for (name, _) in PlanGrammar.operations + PlanGrammar.reads { #expect(message.contains(name), "\(name)") }
    }

    @Test func everySpellingOfAnOperation() {
        for spelling in ["move_boundary", "MOVEBOUNDARY", "move-boundary", "MoveBoundary"] {
            #expect(PlanGrammar.operation(spelling)?.name == "move_boundary", "\(spelling)")
        }
        #expect(PlanGrammar.operation("open") == nil, "a read is not a draft operation")
    }
}
