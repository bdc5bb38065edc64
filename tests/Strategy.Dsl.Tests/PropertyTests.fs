module StrategyLab.Strategy.Dsl.Tests.PropertyTests

open System.IO
open Xunit
open FsCheck
open FsCheck.FSharp
open StrategyLab.Strategy.Dsl
open StrategyLab.Strategy.Dsl.Syntax
open StrategyLab.Strategy.Dsl.Tests.Support

// Trees are generated without meaningful ranges: the round trip compares them through the range-blind printer
let private nowhere =
    Range.make "gen.strat" { Line = 1; Column = 1 } { Line = 1; Column = 1 }

let private id name = { Name = name; Range = nowhere }

// names that are not reserved, including some that start with a keyword
let private names =
    [
        "close"
        "k"
        "score"
        "ma"
        "x1"
        "_a"
        "notional"
        "android"
        "orders"
        "iffy"
        "w0"
        "fast_ma"
    ]

let private genName = Gen.elements names |> Gen.map id

let private genNumber =
    gen {
        let! v =
            Gen.elements [ 0.0; 1.0; 2.0; 5.0; 14.0; 0.5; 0.05; 1e-05; 0.003; 250.0; 12345678.0; 1.5e20 ]

        let! u =
            Gen.elements
                [
                    NumUnit.Plain
                    NumUnit.Plain
                    NumUnit.Percent
                    NumUnit.Bps
                    NumUnit.Time TimeUnit.Second
                    NumUnit.Time TimeUnit.Minute
                    NumUnit.Time TimeUnit.Hour
                    NumUnit.Time TimeUnit.Day
                    NumUnit.Time TimeUnit.Week
                ]

        let! real = Gen.elements [ true; false ]
        return Expr.Number(v, u, (real || not (System.Double.IsInteger v)), nowhere)
    }

let private genText =
    Gen.elements [ "a"; "date"; "b c"; "x # y"; "" ]
    |> Gen.map (fun s -> Expr.Text(s, nowhere))

let private genLeaf =
    Gen.frequency
        [
            3, genNumber
            1, genText
            1, Gen.elements [ true; false ] |> Gen.map (fun b -> Expr.Bool(b, nowhere))
            4, genName |> Gen.map Expr.Name
        ]

let private binaryOps =
    [
        BinaryOp.Or
        BinaryOp.And
        BinaryOp.Lt
        BinaryOp.Le
        BinaryOp.Gt
        BinaryOp.Ge
        BinaryOp.Eq
        BinaryOp.Ne
        BinaryOp.Add
        BinaryOp.Sub
        BinaryOp.Mul
        BinaryOp.Div
        BinaryOp.Pow
    ]

let rec private genExpr (size: int) : Gen<Expr> =
    if size <= 0 then
        genLeaf
    else
        let sub = genExpr (size / 2)

        let genArg =
            gen {
                let! named = Gen.elements [ true; false ]
                let! n = genName
                let! v = sub

                return
                    {
                        Name = (if named then Some n else None)
                        Value = v
                    }
            }

        let genItem =
            Gen.frequency
                [
                    4, sub |> Gen.map ListItem.Item
                    1,
                    gen {
                        let! lo = genLeaf
                        let! hi = genLeaf
                        let! step = Gen.optionOf genLeaf
                        return ListItem.Span(lo, hi, step, nowhere)
                    }
                    1, Gen.map2 (fun e c -> ListItem.Guarded(e, c)) sub sub
                    1, Gen.map2 (fun k v -> ListItem.Pair(k, v, nowhere)) sub sub
                ]

        Gen.frequency
            [
                3, genLeaf
                2,
                gen {
                    let! f = genName
                    let! n = Gen.choose (0, 3)
                    let! args = Gen.listOfLength n genArg
                    return Expr.Call(f, args, nowhere)
                }
                1, Gen.map2 (fun op x -> Expr.Unary(op, x, nowhere)) (Gen.elements [ UnaryOp.Neg; UnaryOp.Not ]) sub
                3, Gen.map3 (fun op a b -> Expr.Binary(op, a, b, nowhere)) (Gen.elements binaryOps) sub sub
                1, Gen.map2 (fun x n -> Expr.Lag(x, n, nowhere)) sub sub
                1, Gen.map3 (fun c a b -> Expr.If(c, a, b, nowhere)) sub sub sub
                1,
                gen {
                    let! n = Gen.choose (0, 3)
                    let! items = Gen.listOfLength n genItem
                    return Expr.List(items, nowhere)
                }
                1, Gen.map3 (fun b v s -> Expr.For(b, v, s, nowhere)) sub genName sub
            ]

let private genE = Gen.sized (fun s -> genExpr (min s 12))

let private genClause =
    gen {
        let! key = genName
        let! hasArgs = Gen.frequency [ 3, Gen.constant false; 1, Gen.constant true ]
        let! args = Gen.listOfLength 2 genE
        let! value = Gen.optionOf genE
        let! ofNav = Gen.elements [ true; false ]
        let! actions = Gen.choose (0, 2) |> Gen.bind (fun n -> Gen.listOfLength n genName)

        return
            {
                Key = key
                Args =
                    if hasArgs then
                        Some(args |> List.map (fun a -> { Name = None; Value = a }))
                    else
                        None
                Value = value
                OfNav = ofNav
                Actions = actions
                Range = nowhere
            }
    }

let private genPortfolioItem =
    let side = Gen.elements [ Side.Long; Side.Short ]

    Gen.oneof
        [
            gen {
                let! s = side
                let! top = Gen.elements [ true; false ]
                let! n = genE
                let! by = genE
                return PortfolioItem.Rank(s, top, n, by, nowhere)
            }
            gen {
                let! s = side
                let! q = genE
                let! bins = genE
                let! by = genE
                return PortfolioItem.Quantile(s, q, bins, by, nowhere)
            }
            gen {
                let! s = side
                let! entry = genE
                let! exit = Gen.optionOf genE
                return PortfolioItem.Threshold(s, entry, exit, nowhere)
            }
            Gen.elements [ "equal"; "proportional" ]
            |> Gen.map (fun w -> PortfolioItem.Weight(id w, nowhere))
            Gen.elements [ "timestamp"; "date" ]
            |> Gen.map (fun w -> PortfolioItem.Scope(id w, nowhere))
            Gen.map2
                (fun k v -> PortfolioItem.Exposure(id k, v, nowhere))
                (Gen.elements [ "gross"; "net"; "leverage" ])
                genE
        ]

let private genLiteral =
    Gen.oneof
        [
            genNumber
            genNumber |> Gen.map (fun n -> Expr.Unary(UnaryOp.Neg, n, nowhere))
            genText
        ]

let private nonEmpty g =
    Gen.choose (1, 3) |> Gen.bind (fun n -> Gen.listOfLength n g)

let private genDecl: Gen<Decl> =
    Gen.oneof
        [
            gen {
                let! n = genName
                let! d = Gen.optionOf (Gen.elements [ "a description"; "with # hash"; "" ])
                return Decl.Strategy(n, d, nowhere)
            }
            genName |> Gen.map (fun n -> Decl.Data(n, nowhere))
            genE |> Gen.map (fun e -> Decl.Bar(e, nowhere))
            Gen.oneof
                [
                    Gen.constant Universe.All
                    Gen.map3 (fun c b e -> Universe.Top(c, b, e)) genE genName (Gen.optionOf genE)
                    Gen.listOf genText
                    |> Gen.map (fun ts -> Universe.Symbols(Expr.List(ts |> List.map ListItem.Item, nowhere)))
                ]
            |> Gen.map (fun u -> Decl.Universe(u, nowhere))
            gen {
                let! n = genName
                let! v = genLiteral

                let! domain =
                    Gen.optionOf (
                        Gen.oneof
                            [
                                gen {
                                    let! lo = genLiteral
                                    let! hi = genLiteral
                                    let! step = Gen.optionOf genLiteral
                                    let! log = Gen.elements [ true; false ]
                                    return Domain.Span(lo, hi, step, log)
                                }
                                nonEmpty genLiteral |> Gen.map Domain.Choices
                            ]
                    )

                let! condition =
                    Gen.optionOf (
                        gen {
                            let! p = genName

                            let! values =
                                nonEmpty (
                                    Gen.oneof
                                        [
                                            genLiteral
                                            Gen.elements [ true; false ] |> Gen.map (fun b -> Expr.Bool(b, nowhere))
                                        ]
                                )

                            return
                                {
                                    Parameter = p
                                    Values = values
                                    Range = nowhere
                                }
                        }
                    )

                return Decl.Param(n, v, domain, condition, nowhere)
            }
            gen {
                let! n = genName
                let! ps = Gen.choose (0, 3) |> Gen.bind (fun k -> Gen.listOfLength k genName)
                let! body = genE
                return Decl.Def(n, ps, body, nowhere)
            }
            Gen.map2 (fun n v -> Decl.Let(n, v, nowhere)) genName genE
            Gen.map2 (fun n v -> Decl.Signal(n, v, nowhere)) genName genE
            Gen.map2 (fun n v -> Decl.Label(n, v, nowhere)) genName genE
            gen {
                let! n = genName
                let! spec = genE
                let! learn = Gen.optionOf genName
                let! train = Gen.optionOf genE
                return Decl.Model(n, spec, learn, train, nowhere)
            }
            nonEmpty genPortfolioItem
            |> Gen.map (fun items -> Decl.Portfolio(items, nowhere))
            Gen.map2 (fun e k -> Decl.Rebalance(e, k, nowhere)) (Gen.optionOf genE) (Gen.optionOf genE)
            nonEmpty genClause |> Gen.map (fun cs -> Decl.Costs(cs, nowhere))
            nonEmpty genClause |> Gen.map (fun cs -> Decl.Risk(cs, nowhere))
            nonEmpty genClause |> Gen.map (fun cs -> Decl.Execution(cs, nowhere))
            nonEmpty genClause |> Gen.map (fun cs -> Decl.Exits(cs, nowhere))
            Gen.elements [ "shared/a.strat"; "b.strat" ]
            |> Gen.map (fun p -> Decl.Include(p, nowhere))
        ]

let private genComment = Gen.elements [ " note"; "x"; " a \"quoted\" # word"; "" ]

let private genProgram =
    gen {
        let! statements =
            Gen.choose (1, 8)
            |> Gen.bind (fun n ->
                Gen.listOfLength
                    n
                    (gen {
                        let! d = genDecl
                        let! leading = Gen.choose (0, 2) |> Gen.bind (fun k -> Gen.listOfLength k genComment)

                        let! trailing =
                            Gen.choose (0, 2) |> Gen.bind (fun k -> Gen.listOfLength k genComment)

                        let! blank = Gen.elements [ true; false ]

                        return
                            {
                                Decl = d
                                Leading = leading
                                Trailing = trailing
                                BlankBefore = blank
                            }
                    }))

        let! tail = Gen.choose (0, 2) |> Gen.bind (fun k -> Gen.listOfLength k genComment)

        return
            {
                File = "gen.strat"
                Statements = statements
                TrailingComments = tail
            }
    }

let private config n =
    Config.QuickThrowOnFailure.WithMaxTest(n)

[<Fact>]
let ``parsing the formatted text of any tree gives the same tree`` () =
    let property (program: Program) =
        let text = Format.format program

        match Parser.parse "gen.strat" text with
        | reparsed, [] -> Dump.program reparsed = Dump.program program |> Prop.label text
        | _, errors ->
            false
            |> Prop.label (text + "\n" + System.String.Join("\n", errors |> List.map brief))

    Check.One(config 2000, Prop.forAll (Arb.fromGen genProgram) property)

[<Fact>]
let ``formatting is idempotent and keeps every comment`` () =
    let property (program: Program) =
        let once = Format.format program

        match Parser.parse "gen.strat" once with
        | reparsed, [] ->
            let twice = Format.format reparsed

            let words (t: string) =
                t.Split([| ' '; '#'; '\n' |], System.StringSplitOptions.RemoveEmptyEntries)

            let comments =
                program.Statements
                |> List.collect (fun s -> s.Leading @ s.Trailing)
                |> List.append program.TrailingComments
                |> List.collect (words >> List.ofArray)

            let kept = comments |> List.forall (fun w -> once.Contains w)
            (twice = once && kept) |> Prop.label (once + "\n----\n" + twice)
        | _, errors -> false |> Prop.label (System.String.Join("\n", errors |> List.map brief))

    Check.One(config 1000, Prop.forAll (Arb.fromGen genProgram) property)

// Robustness: any text gives diagnostics or a plan, never an exception or a hang

let private tokens =
    [
        "strategy"
        "data"
        "bar"
        "universe"
        "param"
        "def"
        "let"
        "signal"
        "label"
        "model"
        "portfolio"
        "rebalance"
        "costs"
        "risk"
        "execution"
        "exits"
        "include"
        "long"
        "short"
        "top"
        "bottom"
        "by"
        "quantile"
        "of"
        "when"
        "exit"
        "learn"
        "train"
        "every"
        "keep"
        "while"
        "rank"
        "within"
        "in"
        "for"
        "if"
        "then"
        "else"
        "and"
        "or"
        "not"
        "true"
        "false"
        "close"
        "k"
        "rsi"
        "sma"
        "lstm"
        "walk_forward"
        "forward_return"
        "("
        ")"
        "["
        "]"
        ","
        ":"
        ";"
        "="
        "=="
        "+"
        "-"
        "*"
        "/"
        "^"
        "<"
        ">="
        "->"
        ".."
        "%"
        "#"
        "\""
        "\n"
        "\n    "
        " "
        "\t"
        "\r\n"
        "5"
        "0.5"
        "1e-3"
        "4h"
        "30s"
        "5 bps"
        "1d"
        "_"
        "é"
        "\u0000"
        "{"
        "@"
    ]

let private genNoise =
    Gen.sized (fun s -> Gen.listOfLength (min 200 (s * 2)) (Gen.elements tokens))
    |> Gen.map (fun ts -> System.String.Join("", ts))

let private survives (text: string) =
    let compiled =
        Compiler.compileWith
            (fun _ -> Error(Includes.IncludeProblem.Unreadable "no includes in this test"))
            "fuzz.strat"
            text

    let explained =
        match compiled with
        | Ok plan -> (Compiler.explain plan).Length > 0
        | Error ds -> ds |> List.forall (fun d -> (Diagnostics.render text d).Contains d.Code)

    let formatted =
        match Compiler.format "fuzz.strat" text with
        | Ok formatted ->
            match Parser.parse "fuzz.strat" formatted with
            | _, [] -> true
            | _ -> false
        | Error ds -> not ds.IsEmpty

    explained && formatted

[<Fact>]
let ``random token soup gives diagnostics, never an exception`` () =
    Check.One(config 3000, Prop.forAll (Arb.fromGen genNoise) survives)

let private strategyTexts =
    Directory.GetFiles(Path.Combine(repoRoot, "strategies"), "*.strat")
    |> Array.map File.ReadAllText

let private genMutation =
    gen {
        let! text = Gen.elements (List.ofArray strategyTexts)
        let! edits = Gen.choose (1, 6)

        let edit (t: string) =
            gen {
                let! at = Gen.choose (0, t.Length)
                let! length = Gen.choose (0, min 12 (t.Length - at))
                let! kind = Gen.choose (0, 2)
                let! insert = Gen.elements tokens

                return
                    match kind with
                    | 0 -> t.Remove(at, length)
                    | 1 -> t.Insert(at, insert)
                    | _ -> t.Remove(at, length).Insert(at, insert)
            }

        let rec apply n (t: string) =
            if n = 0 then
                Gen.constant t
            else
                edit t |> Gen.bind (apply (n - 1))

        return! apply edits text
    }

[<Fact>]
let ``mutated strategy files give diagnostics, never an exception`` () =
    Check.One(config 3000, Prop.forAll (Arb.fromGen genMutation) survives)

[<Fact>]
let ``deeply nested input ends in a syntax error, not a stack overflow`` () =
    for text in
        [
            header + "let a = " + System.String('(', 20000) + "1"
            header + "let a = " + System.String('[', 20000)
            header + "let a = " + System.String.Join("", Array.create 20000 "-") + "1"
            header + "let a = " + System.String.Join("", Array.create 5000 "not ") + "1"
            header + "let a = " + System.String.Join("", Array.create 5000 "if ")
            header + "let a = 1" + System.String.Join("", Array.create 20000 " + 1")
            header + "let a = 2" + System.String.Join("", Array.create 20000 " ^ 2")
        ] do
        match Compiler.compile "deep.strat" text with
        | Error ds -> Assert.Contains(ds, fun d -> d.Code = "SL0101" || d.Code = "SL0102")
        | Ok _ -> failwith "expected a syntax error"

[<Fact>]
let ``defs that double at every level end in a diagnostic, not a hang`` () =
    let defs = [ for i in 1..40 -> $"def f%d{i}(x) = f%d{i - 1}(x) + f%d{i - 1}(x)" ]

    let text =
        withPortfolio ("def f0(x) = x\n" + System.String.Join("\n", defs) + "\nlet s = f40(close)")

    match Compiler.compile "expand.strat" text with
    | Error ds -> Assert.Contains(ds, fun d -> d.Code = "SL0316")
    | Ok _ -> failwith "expected the expansion to be refused"

[<Fact>]
let ``a long chain of definitions in reverse order compiles`` () =
    let lets = [ for i in 0..4999 -> $"let s%d{i} = s%d{i + 1} + 1" ]

    let text =
        withPortfolio (System.String.Join("\n", lets) + "\nlet s5000 = close\nlet s = s0")

    let plan = compileOk text
    Assert.True(plan.Nodes.Length > 5000)
