module StrategyLab.Strategy.Dsl.Tests.DiagnosticsTests

open Xunit
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Tests.Support

// Every case is the standard header (lines 1-3), "let s = close" (line 4), the case's lines from line 5, and a
// closing portfolio over s; each expects exactly the listed diagnostics
let private program (body: string) =
    header
    + "let s = close\n"
    + body
    + "\nportfolio long top 5 by s, short bottom 5 by s\n"

let private rows: (string * string * string) list =
    [
        ("SL0101", "let a = (1 +", "SL0101 (5,13) expected expression, found end of statement")
        ("SL0101", "signl b = 1", "SL0101 (5,1) expected a statement keyword, found 'signl'")
        ("SL0201", "let a = clse", "SL0201 (5,9) unknown name 'clse'")
        ("SL0202", "let a = rsii(close, 14)", "SL0202 (5,9) unknown function 'rsii'")
        ("SL0203", "let a = 1\nlet a = 2", "SL0203 (6,5) 'a' is already defined")
        ("SL0204", "let a = b + 1\nlet b = a * 2", "SL0204 (6,9) circular definition: a -> b -> a")
        ("SL0204", "def f(x) = f(x) + 1\nlet a = f(close)", "SL0204 (5,12) circular definition: f -> f")
        ("SL0205",
         "label up = forward_return(close, 1) > 0\nmodel m = lsmt(inputs: [close])\n    learn up\n    train walk_forward(train: 10, test: 5)",
         "SL0205 (6,11) unknown model kind 'lsmt'")
        ("SL0206",
         "label up = forward_return(close, 1) > 0\nmodel m = gbdt(inputs: [close])\n    learn up\n    train walk_forwards(train: 10, test: 5)",
         "SL0206 (8,11) unknown training scheme 'walk_forwards'")
        ("SL0207", "let a = rsi(close, periods: 14)", "SL0207 (5,20) 'rsi' has no argument 'periods'")
        ("SL0208", "costs fees 5 bps", "SL0208 (5,7) unknown costs setting 'fees'")
        ("SL0209",
         "param kind = \"a\" in [\"a\", \"b\"]\nparam n = 1 in 1..3 when knd = \"b\"",
         "SL0209 (6,26) unknown parameter 'knd' in the condition")
        ("SL0210",
         "param n = 1 in 1..3 when kind = \"b\"\nparam kind = \"a\" in [\"a\", \"b\"]",
         "SL0210 (5,26) 'n' depends on 'kind', which is declared after it (line 6)")
        ("SL0211", "param n = 1 in 1..3 when n = 1", "SL0211 (5,26) 'n' cannot depend on itself")
        ("SL0212",
         "param a = 1 in [1, 2] when b = 2\nparam b = 2 in [1, 2] when a = 1",
         "SL0212 (5,28) 'a' depends on itself through conditions: a -> b -> a")
        ("SL0301", "let a = rsi(close, 14, 3)", "SL0301 (5,24) 'rsi' takes at most 2 arguments, found 3")
        ("SL0302", "let a = mean(close)", "SL0302 (5,9) 'mean' needs the argument 'n'")
        ("SL0303", "let a = rsi(close, 14, period: 10)", "SL0303 (5,24) argument 'period' of 'rsi' is given twice")
        ("SL0304", "let a = sma(\"close\", 10)", "SL0304 (5,13) expected a series or number, found \"close\"")
        ("SL0305", "let a = sma(close, 4h)", "SL0305 (5,20) window 4h is not a whole number of 1d bars")
        ("SL0306", "let a = sma(close, 2.5)", "SL0306 (5,20) expected 'period' to be a positive whole number, found 2.5")
        ("SL0307",
         "let a = xs_quantile(close, scope: \"day\")",
         "SL0307 (5,35) 'scope' must be one of \"timestamp\", \"date\", found \"day\"")
        ("SL0308", "param k = 12 in 3..10", "SL0308 (5,11) the default 12 of 'k' is outside 3..10")
        ("SL0309", "param k = 5 in 10..3", "SL0309 (5,16) the range 10..3 is empty")
        ("SL0310", "param k = close", "SL0310 (5,11) expected a literal value")
        ("SL0311",
         "param n = 5 in 1..10\nlet a = [return(close, h) for h in [1, n]]",
         "SL0311 (6,36) a comprehension needs a list known before any data is read, found parameter 'n'")
        ("SL0313", "param lr = 0.1 in 0..1 log", "SL0313 (5,19) the log-scaled range of 'lr' must be above zero")
        ("SL0314",
         "label up = forward_return(close, 1) > 0\nmodel a = linear(inputs: [close])\n    learn up\n    train walk_forward(train: 10, test: 5)\nmodel b = ensemble(members: [a], weights: [0.5, 0.5])",
         "SL0314 (9,43) the ensemble has 1 members but 2 weights")
        ("SL0315",
         "label up = forward_return(close, 1) > 0\nmodel m = lstm(inputs: [close], hidden: 0)\n    learn up\n    train walk_forward(train: 10, test: 5)",
         "SL0315 (6,41) 'hidden' must be at least 1, found 0")
        ("SL0319",
         "param m = 2 in 1..3\nparam n = 1 in 1..3 when m = 2",
         "SL0319 (6,26) 'm' has no choices for a condition to test")
        ("SL0320",
         "param kind = \"a\" in [\"a\", \"b\"]\nparam n = 1 in 1..3 when kind = \"c\"",
         "SL0320 (6,33) \"c\" is not a choice of 'kind'")
        ("SL0321",
         "param on = true\nparam n = 1 when on = true",
         "SL0321 (6,13) 'n' has no range or choices, so no search varies it and a condition has nothing to switch")
        ("SL0401",
         "signal t = xs_rank(forward_return(close, 1))",
         "SL0401 (5,20) 'forward_return(close, 1)' looks into the future and cannot be used in signal 't'")
        ("SL0402",
         "label up = forward_return(close, 1) > 0\nmodel m = gbdt(inputs: [close, up])\n    learn up\n    train walk_forward(train: 10, test: 5)",
         "SL0402 (6,32) label 'up' cannot be used in a model input")
        ("SL0402",
         "label up = forward_return(close, 1) > 0\nsignal t = up",
         "SL0402 (6,12) label 'up' cannot be used in signal 't'")
        ("SL0403",
         "model m = gbdt(inputs: [close])\n    learn s\n    train walk_forward(train: 10, test: 5)",
         "SL0403 (6,11) 's' is not a label")
        ("SL0502", "bar 1h", "SL0502 (5,1) 'bar' is declared more than once")
        ("SL0504",
         "include \"shared.strat\"",
         "SL0504 (5,1) cannot read included file 'shared.strat': no file reader was given to the compiler")
        ("SL0506",
         "model m = gbdt(inputs: [close])\n    train walk_forward(train: 10, test: 5)",
         "SL0506 (5,7) model 'm' does not say what it learns")
        ("SL0507",
         "label up = forward_return(close, 1) > 0\nmodel m = gbdt(inputs: [close])\n    learn up",
         "SL0507 (6,7) model 'm' has no training scheme")
        ("SL0509", "risk max_drawdown 25% -> stopp", "SL0509 (5,26) unknown risk action 'stopp'")
        ("SL0208", "exits stop_los 5%", "SL0208 (5,7) unknown exits setting 'stop_los'")
        ("SL0304", "exits roi [4%]", "SL0304 (5,12) expected a row such as 30m: 2%, found a value without its time")
        ("SL0304", "exits roi 4%", "SL0304 (5,11) expected a table such as [0: 4%, 30m: 2%], found 0.04")
        ("SL0305", "exits max_hold 90m", "SL0305 (5,16) window 90m is not a whole number of 1d bars")
        ("SL0317", "exits stop_loss 150%", "SL0317 (5,17) 'stop_loss' must be between 0% and 100%, found 150%")
        ("SL0318", "let a = [1: 2]", "SL0318 (5,10) a 'key: value' row belongs in a table")
        ("SL0510", "costs fee 5 bps, fee 6 bps", "SL0510 (5,18) 'fee' is given more than once")
        ("SL0511", "exits stop_loss", "SL0511 (5,7) 'stop_loss' needs a share of the entry price such as 5%")
        ("SL0520",
         "execution market, fallback market",
         "SL0520 (5,19) 'fallback market' applies to limit_maker orders only")
        ("SL0511", "risk max_position", "SL0511 (5,6) 'max_position' needs a limit such as 10%")
        ("SL0512",
         "label up = forward_return(close, 1) > 0\nmodel m = gbdt(inputs: [])\n    learn up\n    train walk_forward(train: 10, test: 5)",
         "SL0512 (6,11) model 'm' has no inputs")
    ]

let cases: obj array list =
    rows |> List.map (fun (a, b, c) -> [| a :> obj; b :> obj; c :> obj |])

[<Theory; MemberData(nameof cases)>]
let ``reports each error kind with its exact message and position`` (code: string, body: string, expected: string) =
    let found = diagnosticsOf (program body)
    Assert.Equal<string list>([ expected ], found)
    Assert.StartsWith(code, expected)

[<Fact>]
let ``reports a missing header statement and a missing portfolio at the start of the file`` () =
    Assert.Equal<string list>(
        [
            "SL0501 (1,1) missing 'data' statement"
            "SL0501 (1,1) missing 'portfolio' statement"
        ],
        diagnosticsOf "strategy t\nbar 1d\n"
    )

[<Fact>]
let ``reports an unsupported bar interval with the supported ones`` () =
    match Compiler.compile "test.strat" (program "" |> fun t -> t.Replace("bar 1d", "bar 7m")) with
    | Error [ d ] ->
        Assert.Equal("SL0312 (3,5) unsupported bar interval '7m'", brief d)
        Assert.Equal(Some "use one of 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d, 1w", d.Hint)
    | other -> failwith $"unexpected %A{other}"

[<Fact>]
let ``reports a portfolio that holds nothing`` () =
    Assert.Equal<string list>(
        [ "SL0508 (4,1) the portfolio holds nothing" ],
        diagnosticsOf (header + "portfolio equal weight\n")
    )

[<Fact>]
let ``reports rank hysteresis without a ranked leg`` () =
    Assert.Equal<string list>(
        [
            "SL0601 (5,1) 'keep while rank within' needs a 'top' or 'bottom' leg in the portfolio"
        ],
        diagnosticsOf (
            header
            + "let s = close\nrebalance every bar, keep while rank within 3\nportfolio long when s > 0\n"
        )
    )

[<Fact>]
let ``reports a quantile outside its bins`` () =
    Assert.Equal<string list>(
        [ "SL0602 (5,1) quantile 11 is outside 1..10" ],
        diagnosticsOf (header + "let s = close\nportfolio long quantile 11 of 10 by s\n")
    )

[<Fact>]
let ``reports header statements in an included file and include cycles`` () =
    let files =
        Map
            [
                "lib/a.strat", "bar 1h\ninclude \"b.strat\"\n"
                "lib/b.strat", "include \"a.strat\"\n"
            ]

    let read (request: Includes.IncludeRequest) =
        match files.TryFind request.Path with
        | Some t -> Ok t
        | None -> Error Includes.IncludeProblem.Missing

    match Compiler.compileWith read "main.strat" (program "include \"lib/a.strat\"") with
    | Error ds ->
        Assert.Equal<string list>(
            [
                "SL0502 (1,1) 'bar' is declared more than once"
                "SL0503 (1,1) 'bar' is not allowed in an included file"
                "SL0505 (1,1) 'a.strat' includes itself"
            ],
            ds
            |> List.filter (fun d -> d.Range.File <> "main.strat")
            |> List.map brief
            |> List.sort
        )
    | Ok _ -> failwith "expected errors"

[<Fact>]
let ``reports all errors of a file in one pass, in source order`` () =
    let found =
        diagnosticsOf (program "let a = clse\nsignl b = 1\nlet c = rsi(close, periods: 14)\nlet d = sma(close 10)")

    Assert.Equal<string list>(
        [
            "SL0201 (5,9) unknown name 'clse'"
            "SL0101 (6,1) expected a statement keyword, found 'signl'"
            "SL0207 (7,20) 'rsi' has no argument 'periods'"
            "SL0101 (8,19) expected '(', ')', ',', '[' or operator, found '10'"
        ],
        found
    )

[<Fact>]
let ``points a forward-looking error inside a def at the call that uses it`` () =
    Assert.Equal<string list>(
        [
            "SL0401 (6,12) 'ahead(close)' looks into the future and cannot be used in signal 't'"
        ],
        diagnosticsOf (program "def ahead(x) = forward(x, 1)\nsignal t = ahead(close)")
    )

[<Fact>]
let ``allows forward-looking expressions in labels, also through lets of labels`` () =
    Assert.Empty(
        diagnosticsOf (
            program "label up = forward_return(close, 1) > 0\nlabel strong = up and forward(close, 2) > close"
        )
    )

[<Fact>]
let ``hints the closest name`` () =
    match Compiler.compile "test.strat" (program "let a = rsii(close, 14)") with
    | Error [ d ] -> Assert.Equal(Some "did you mean 'rsi'?", d.Hint)
    | other -> failwith $"unexpected %A{other}"

[<Fact>]
let ``renders a diagnostic as location, message, source line, carets and hint`` () =
    let text = program "signal t = rsii(close, 14)"

    match Compiler.compile "strategies/momentum.strat" text with
    | Error [ d ] ->
        Assert.Equal(
            "strategies/momentum.strat(5,12): error SL0202: unknown function 'rsii'\n"
            + "    signal t = rsii(close, 14)\n"
            + "               ^^^^\n"
            + "    hint: did you mean 'rsi'?",
            Diagnostics.render text d
        )
    | other -> failwith $"unexpected %A{other}"

[<Fact>]
let ``renders carets to the end of the line for a range spanning lines`` () =
    let d =
        Diagnostics.syntaxError
            (Range.make "f.strat" { Line = 1; Column = 5 } { Line = 2; Column = 3 })
            "an expression"
            "'x'"

    Assert.Equal(
        "f.strat(1,5): error SL0101: expected an expression, found 'x'\n    let abc\n        ^^^",
        Diagnostics.render "let abc\nfoo\n" d
    )

[<Fact>]
let ``lines carets up under a tab-indented source line`` () =
    let text =
        header
        + "let s = close\n"
        + "signal t = \trsii(close)\n"
        + "portfolio long top 5 by s\n"

    match Compiler.compile "tab.strat" text with
    | Error [ d ] ->
        Assert.Equal(
            "tab.strat(5,13): error SL0202: unknown function 'rsii'\n    signal t = \trsii(close)\n               \t^^^^\n    hint: did you mean 'rsi'?",
            Diagnostics.render text d
        )
    | other -> failwith $"unexpected %A{other}"

[<Fact>]
let ``does not report uses of a name whose statement has a syntax error`` () =
    Assert.Equal<string list>(
        [ "SL0101 (5,19) expected '(', ')', ',', '[' or operator, found '10'" ],
        diagnosticsOf (program "let a = sma(close 10)\nlet b = a + 1\nsignal t = b * a")
    )

let private hintOf (text: string) =
    match Compiler.compile "test.strat" text with
    | Ok _ -> []
    | Error ds -> ds |> List.map (fun d -> d.Code, d.Hint)

[<Fact>]
let ``a name that differs only in case suggests the name`` () =
    Assert.Equal<(string * string option) list>(
        [ "SL0202", Some "did you mean 'rsi'?" ],
        hintOf (withPortfolio "let s = RSI(close, 14)")
    )

    Assert.Equal<(string * string option) list>(
        [ "SL0201", Some "did you mean 'market_cap'?" ],
        hintOf (withPortfolio "let s = MARKET_CAP")
    )

    Assert.Equal<(string * string option) list>(
        [ "SL0101", Some "did you mean 'signal'?" ],
        hintOf (header + "let s = close\nSignal t = close\nportfolio long top 5 by s\n")
    )

[<Fact>]
let ``a bar with an upper-case unit explains the units`` () =
    let text =
        "strategy t\ndata daily_top100\nbar 1H\nlet s = close\nportfolio long top 5 by s\n"

    match Compiler.compile "test.strat" text with
    | Error [ d ] ->
        Assert.Equal("SL0105 (3,6) expected a unit (s, m, h, d, w, % or bps) after the number, found 'H'", brief d)
        Assert.Equal(Some "units are lowercase: 30s, 5m, 1h, 4h, 1d, 1w, 10%, 5 bps", d.Hint)
    | other -> failwith $"expected one SL0105, found %A{other}"
