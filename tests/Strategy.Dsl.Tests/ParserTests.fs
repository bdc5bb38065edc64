module StrategyLab.Strategy.Dsl.Tests.ParserTests

open Xunit
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Syntax
open StrategyLab.Strategy.Dsl.Tests.Support

/// Parses text and returns its range-blind tree, failing on any syntax error
let tree (text: string) =
    match Parser.parse "test.strat" text with
    | program, [] -> Dump.program program
    | _, errors -> failwith (System.String.Join("\n", errors |> List.map brief))

let expr (text: string) =
    match Parser.parseExpr text with
    | Ok e -> Dump.expr e
    | Error errors -> failwith (System.String.Join("\n", errors |> List.map brief))

[<Fact>]
let ``parses the header statements`` () =
    Assert.Equal(
        "(strategy jaquart \"Cross-sectional LSTM\")\n(data daily_top100)\n(bar 1d)\n(universe top 100 market_cap 30d)",
        tree
            "strategy jaquart \"Cross-sectional LSTM\"\ndata daily_top100\nbar 1d\nuniverse top 100 by market_cap every 30d"
    )

[<Fact>]
let ``parses the universe forms`` () =
    Assert.Equal("(universe all)", tree "universe all")
    Assert.Equal("(universe [\"BTCUSDT\" \"ETHUSDT\"])", tree "universe [\"BTCUSDT\", \"ETHUSDT\"]")

[<Fact>]
let ``parses parameters with ranges, steps, log scale, choices and flags`` () =
    Assert.Equal("(param k 5 (span 3 10 _))", tree "param k = 5 in 3..10")
    Assert.Equal("(param n 20 (span 5 60 5))", tree "param n = 20 in 5..60 by 5")
    Assert.Equal("(param lr 0.003 (span 0.0001 0.01 _ log))", tree "param lr = 0.003 in 0.0001..0.01 log")
    Assert.Equal("(param kind \"sma\" [\"sma\" \"ema\"])", tree "param kind = \"sma\" in [\"sma\", \"ema\"]")
    Assert.Equal("(param use_rsi true _)", tree "param use_rsi = true")
    Assert.Equal("(param band 0.2% (span 0.05% 1% _))", tree "param band = 0.2% in 0.05%..1%")
    Assert.Equal("(param x 0 (span (neg 1) 1 _))", tree "param x = 0 in -1..1")

[<Fact>]
let ``parses the condition of a conditional parameter after its range, list or flag`` () =
    Assert.Equal(
        "(param ema_span 20 (span 5 50 _) (when kind [\"ema\"]))",
        tree "param ema_span = 20 in 5..50 when kind = \"ema\""
    )

    Assert.Equal(
        "(param span 20 (span 5 50 5) (when kind [\"sma\" \"ema\"]))",
        tree "param span = 20 in 5..50 by 5 when kind in [\"sma\", \"ema\"]"
    )

    Assert.Equal(
        "(param lr 0.01 (span 0.001 0.1 _ log) (when fast [true]))",
        tree "param lr = 0.01 in 0.001..0.1 log when fast = true"
    )

    Assert.Equal(
        "(param mode \"a\" [\"a\" \"b\"] (when n [10 20]))",
        tree "param mode = \"a\" in [\"a\", \"b\"] when n in [10, 20]"
    )

    Assert.Equal("(param use_vol true _ (when kind [\"ema\"]))", tree "param use_vol = true when kind == \"ema\"")

[<Fact>]
let ``a condition spans from 'when' to its last value`` () =
    match Parser.parse "test.strat" "param k = 5 in 3..10 when kind in [\"a\", \"b\"]  # c\n" with
    | {
          Statements = [ {
                             Decl = Decl.Param(condition = Some c)
                         } ]
      },
      [] ->
        Assert.Equal((1, 22, 1, 45), (c.Range.Start.Line, c.Range.Start.Column, c.Range.End.Line, c.Range.End.Column))
        Assert.Equal((1, 27), (c.Parameter.Range.Start.Line, c.Parameter.Range.Start.Column))
    | _, errors -> failwith $"unexpected parse: %A{errors |> List.map brief}"

[<Fact>]
let ``a condition needs a value`` () =
    let errors text =
        Parser.parse "test.strat" text |> snd |> List.map brief

    Assert.Equal<string list>(
        [ "SL0101 (1,36) expected expression, found ']'" ],
        errors "param k = 5 in 3..10 when kind in []"
    )

    Assert.Equal<string list>(
        [ "SL0101 (1,31) expected '= value' or 'in [values]', found end of statement" ],
        errors "param k = 5 in 3..10 when kind"
    )

[<Fact>]
let ``parses number literals with units`` () =
    Assert.Equal("5", expr "5")
    Assert.Equal("0.25", expr "0.25")
    Assert.Equal("0.001", expr "1e-3")
    Assert.Equal("10%", expr "10%")
    Assert.Equal("5bps", expr "5 bps")
    Assert.Equal("30s", expr "30s")
    Assert.Equal("5m", expr "5m")
    Assert.Equal("4h", expr "4h")
    Assert.Equal("1d", expr "1d")
    Assert.Equal("2w", expr "2w")

[<Fact>]
let ``gives arithmetic its usual precedence and associativity`` () =
    Assert.Equal("(+ a (* b c))", expr "a + b * c")
    Assert.Equal("(- (- a b) c)", expr "a - b - c")
    Assert.Equal("(^ a (^ b c))", expr "a ^ b ^ c")
    Assert.Equal("(* (+ a b) c)", expr "(a + b) * c")
    Assert.Equal("(neg (^ x 2))", expr "-x ^ 2")
    Assert.Equal("(- a (neg b))", expr "a - -b")

[<Fact>]
let ``gives logic and comparisons their precedence`` () =
    Assert.Equal("(or (and (> a 1) (< b 2)) (not c))", expr "a > 1 and b < 2 or not c")
    Assert.Equal("(not (== a b))", expr "not a == b")
    Assert.Equal("(>= a b)", expr "a >= b")
    Assert.Equal("(!= a b)", expr "a != b")
    Assert.Equal("(<= a b)", expr "a <= b")

[<Fact>]
let ``reads identifiers that start with a keyword as names`` () =
    Assert.Equal("(+ notional order_size)", expr "notional + order_size")
    Assert.Equal("(and android ifx)", expr "android and ifx")

[<Fact>]
let ``parses calls with positional and named arguments`` () =
    Assert.Equal("(call macd close fast:12 slow:26)", expr "macd(close, fast: 12, slow: 26)")
    Assert.Equal("(call bop)", expr "bop()")

[<Fact>]
let ``parses lags as a postfix index`` () =
    Assert.Equal("(lag close 1)", expr "close[1]")
    Assert.Equal("(lag (lag close 1) 2)", expr "close[1][2]")
    Assert.Equal("(lag (+ a b) n)", expr "(a + b)[n]")

[<Fact>]
let ``parses conditionals`` () =
    Assert.Equal(
        "(if (> close ma) 1 (if (< close lo) (neg 1) 0))",
        expr "if close > ma then 1 else if close < lo then -1 else 0"
    )

[<Fact>]
let ``parses lists, spans with steps, guarded items and comprehensions`` () =
    Assert.Equal("[]", expr "[]")
    Assert.Equal("[(span 1 20 _) (span 40 240 20)]", expr "[1..20, 40..240 by 20]")
    Assert.Equal("[a (when b flag)]", expr "[a, b when flag]")

    Assert.Equal(
        "(for (call return close h) h [(span 1 20 _) (span 40 240 20)])",
        expr "[return(close, h) for h in [1..20, 40..240 by 20]]"
    )

[<Fact>]
let ``parses definitions of series, signals, labels and functions`` () =
    Assert.Equal(
        "(def z (x n) (/ (- x (call mean x n)) (call std x n)))",
        tree "def z(x, n) = (x - mean(x, n)) / std(x, n)"
    )

    Assert.Equal("(let ma (call sma close 10))", tree "let ma = sma(close, 10)")
    Assert.Equal("(signal s ma)", tree "signal s = ma")
    Assert.Equal("(label up (> (call forward_return close 1) 0))", tree "label up = forward_return(close, 1) > 0")

[<Fact>]
let ``parses a model over several lines with its label and training scheme`` () =
    Assert.Equal(
        "(model ens (call lstm inputs:[(call return close 1)] window:90) up (call walk_forward train:750 test:250 purge:1))",
        tree
            "model ens = lstm(inputs: [return(close, 1)], window: 90)\n    learn up\n    train walk_forward(train: 750, test: 250, purge: 1)"
    )

[<Fact>]
let ``parses portfolio legs and settings`` () =
    Assert.Equal(
        "(portfolio (rank long top k score) (rank short bottom k score) (weight equal))",
        tree "portfolio long top k by score, short bottom k by score, equal weight"
    )

    Assert.Equal(
        "(portfolio (quantile long 10 10 p) (quantile short 1 10 p) (scope date) (weight proportional) (gross 1) (net 0))",
        tree
            "portfolio long quantile 10 of 10 by p, short quantile 1 of 10 by p, scope date, proportional weight, gross 1, net 0"
    )

    Assert.Equal(
        "(portfolio (threshold long (> p th) (< p 0)) (threshold short (< p (neg th)) _))",
        tree "portfolio long when p > th exit when p < 0, short when p < -th"
    )

[<Fact>]
let ``parses rebalancing with rank hysteresis`` () =
    Assert.Equal("(rebalance _ (+ k buffer))", tree "rebalance every bar, keep while rank within k + buffer")
    Assert.Equal("(rebalance 4h _)", tree "rebalance every 4h")

[<Fact>]
let ``parses costs, risk limits with actions and execution policies`` () =
    Assert.Equal(
        "(costs (fee _ 5bps) (slippage _ 2bps) (funding _ _))",
        tree "costs fee 5 bps, slippage 2 bps, funding"
    )

    Assert.Equal(
        "(risk (max_position _ 10% of-nav) (daily_loss _ 3% of-nav ->flatten ->halt) (max_drawdown _ 25% ->stop))",
        tree "risk max_position 10% of nav; daily_loss 3% of nav -> flatten and halt; max_drawdown 25% -> stop"
    )

    Assert.Equal(
        "(execution (limit_maker (offset:0.05% timeout:30s retries:4 shrink:0.5) _) (min_notional _ skip))",
        tree "execution limit_maker(offset: 0.05%, timeout: 30s, retries: 4, shrink: 0.5), min_notional skip"
    )

[<Fact>]
let ``parses exits with a minimal-ROI table, and an order policy's fallback`` () =
    Assert.Equal(
        "(exits (stop_loss _ 5%) (take_profit _ 10%) (trailing_stop _ 3%) (max_hold _ 48h) (roi _ [(pair 0 4%) (pair 30m 2%) (pair 2h 0%)]) (cooldown _ 4h))",
        tree
            "exits stop_loss 5%, take_profit 10%, trailing_stop 3%, max_hold 48h, roi [0: 4%, 30m: 2%, 2h: 0%], cooldown 4h"
    )

    Assert.Equal(
        "(execution (limit_maker (offset:0.05%) _) (fallback _ market))",
        tree "execution limit_maker(offset: 0.05%), fallback market"
    )

[<Fact>]
let ``parses includes`` () =
    Assert.Equal("(include \"shared/normalize.strat\")", tree "include \"shared/normalize.strat\"")

[<Fact>]
let ``keeps comments and blank lines for the formatter`` () =
    let program, errors =
        Parser.parse "test.strat" "# header\nstrategy s  # trailing\n\n# about data\ndata d\n# the end\n"

    Assert.Empty errors
    let s = program.Statements
    Assert.Equal<string list>([ " header" ], s[0].Leading)
    Assert.Equal<string list>([ " trailing" ], s[0].Trailing)
    Assert.Equal<string list>([ " about data" ], s[1].Leading)
    Assert.True(s[1].BlankBefore)
    Assert.Equal<string list>([ " the end" ], program.TrailingComments)

[<Fact>]
let ``does not read a hash inside a text as a comment`` () =
    let program, errors = Parser.parse "test.strat" "strategy s \"a # b\"  # real\n"
    Assert.Empty errors
    Assert.Equal("(strategy s \"a # b\")", Dump.program program)
    Assert.Equal<string list>([ " real" ], program.Statements[0].Trailing)

[<Fact>]
let ``gives nodes the exact range of their source text`` () =
    match Parser.parse "test.strat" "let x = 1 +  rsi(close, 14)  # c\n" with
    | {
          Statements = [ {
                             Decl = Decl.Let(name, Expr.Binary(_, _, call, whole), range)
                         } ]
      },
      [] ->
        Assert.Equal({ Line = 1; Column = 5 }, name.Range.Start)
        Assert.Equal({ Line = 1; Column = 6 }, name.Range.End)
        Assert.Equal({ Line = 1; Column = 14 }, call.Range.Start)
        Assert.Equal({ Line = 1; Column = 28 }, call.Range.End)
        Assert.Equal({ Line = 1; Column = 9 }, whole.Start)
        Assert.Equal({ Line = 1; Column = 1 }, range.Start)
        Assert.Equal({ Line = 1; Column = 28 }, range.End)
    | _ -> failwith "unexpected tree"

[<Fact>]
let ``reports every syntax error of a file, each with its line`` () =
    let _, errors =
        Parser.parse "test.strat" "let a = (1 +\nlet b = 2\nlet c = sma(close 10)\nlet d = 3\n"

    Assert.Equal<string list>(
        [
            "SL0101 (1,13) expected expression, found end of statement"
            "SL0101 (3,19) expected '(', ')', ',', '[' or operator, found '10'"
        ],
        errors |> List.map brief
    )

[<Fact>]
let ``names the missing piece of a statement`` () =
    let errors text =
        snd (Parser.parse "test.strat" text) |> List.map brief

    Assert.Equal<string list>([ "SL0101 (1,17) expected setting, found end of statement" ], errors "costs fee 5 bps,")

    Assert.Equal<string list>(
        [ "SL0101 (1,25) expected 'nav', found end of statement" ],
        errors "risk max_position 10% of"
    )

    Assert.Equal<string list>(
        [ "SL0101 (2,16) expected argument, found ')'" ],
        errors "model m = gbdt(inputs: [close],\n    rounds: 10,)"
    )

    Assert.Equal<string list>(
        [ "SL0101 (1,14) expected closing quote, found end of statement" ],
        errors "strategy t \"x"
    )
