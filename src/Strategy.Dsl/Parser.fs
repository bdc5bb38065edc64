module StrategyLab.Strategy.Dsl.Parser

open System.Runtime.CompilerServices
open FParsec
open StrategyLab.Strategy.Dsl.Diagnostics
open StrategyLab.Strategy.Dsl.Syntax
open StrategyLab.Strategy.Dsl.Lexical

let statementKeywords =
    [
        "strategy"
        "data"
        "bar"
        "universe"
        "include"
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
    ]

let private expr, private exprRef = createParserForwardedToRef<Expr, ParseState>()

// checking and formatting recurse over expressions, so the parser refuses deeper nesting than this
let private maxDepth = 500

let private tooDeep = "an expression nested too deeply"

// Deeply nested input must end in a diagnostic, not in a stack overflow
let private guardedExpr: P<Expr> =
    fun stream ->
        if RuntimeHelpers.TryEnsureSufficientExecutionStack() then
            expr stream
        else
            Reply(FatalError, messageError tooDeep)

let private args: P<Arg list> =
    let named = attempt (ident .>> sym ":") |>> Some

    let arg =
        pipe2 (named <|>% None) guardedExpr (fun n v -> { Name = n; Value = v })
        <?> "argument"

    sym "(" >>. sepBy arg (sym ",") .>> sym ")"

let private listItem: P<ListItem> =
    let span =
        sym ".." >>. guardedExpr .>>. opt (keyword "by" >>. guardedExpr) |>> Choice1Of2

    let pair = sym ":" >>. guardedExpr |>> Choice2Of2

    pipe4 pos guardedExpr (opt (span <|> pair)) (opt (keyword "when" >>. guardedExpr)) (fun start e rest guard ->
        start, e, rest, guard)
    >>= fun (start, e, rest, guard) ->
        rangeFrom start
        |>> fun r ->
            let item =
                match rest with
                | Some(Choice1Of2(hi, step)) -> ListItem.Span(e, hi, step, r)
                | Some(Choice2Of2 value) -> ListItem.Pair(e, value, r)
                | None -> ListItem.Item e

            match guard with
            | Some c ->
                ListItem.Guarded(
                    item
                    |> (fun i ->
                        match i with
                        | ListItem.Item x -> x
                        | _ -> Expr.List([ i ], r)),
                    c
                )
            | None -> item

let private listOrComprehension: P<Expr> =
    let rest (start: Pos) (first: ListItem) : P<Expr> =
        let comprehension =
            match first with
            | ListItem.Item body ->
                keyword "for" >>. ident .>> keyword "in" .>>. guardedExpr .>> sym "]"
                >>= fun (v, src) -> rangeFrom start |>> fun r -> Expr.For(body, v, src, r)
            | _ -> pzero

        comprehension
        <|> (many (sym "," >>. listItem) .>> (sym "]" <?> "']' or ','")
             >>= fun items -> rangeFrom start |>> fun r -> Expr.List(first :: items, r))

    pos .>> sym "["
    >>= fun start ->
        (sym "]" >>. rangeFrom start |>> fun r -> Expr.List([], r))
        <|> (listItem >>= rest start)
        <?> "list"

let private ifExpr: P<Expr> =
    pos .>> keyword "if" .>>. guardedExpr .>> keyword "then" .>>. guardedExpr
    .>> keyword "else"
    .>>. guardedExpr
    >>= fun (((start, c), a), b) -> rangeFrom start |>> fun r -> Expr.If(c, a, b, r)

let private primary: P<Expr> =
    let number =
        ranged numberLiteral |>> fun ((v, u, real), r) -> Expr.Number(v, u, real, r)

    let text = ranged textLiteral |>> Expr.Text

    let boolean =
        ranged ((keyword "true" >>% true) <|> (keyword "false" >>% false)) |>> Expr.Bool

    let nameOrCall =
        ident .>>. opt args
        >>= fun (id, a) ->
            match a with
            | Some args -> rangeFrom id.Range.Start |>> fun r -> Expr.Call(id, args, r)
            | None -> preturn (Expr.Name id)

    let paren = sym "(" >>. guardedExpr .>> (sym ")" <?> "')'")

    choice [ number; text; boolean; ifExpr; paren; listOrComprehension; nameOrCall ]
    <?> "expression"

let private term: P<Expr> =
    let lagSuffix = sym "[" >>. guardedExpr .>> sym "]"

    primary .>>. many lagSuffix
    >>= fun (e, lags) ->
        match lags with
        | [] -> preturn e
        | _ ->
            rangeFrom e.Range.Start
            |>> fun r -> lags |> List.fold (fun acc n -> Expr.Lag(acc, n, Range.union acc.Range r)) e

let private opp = OperatorPrecedenceParser<Expr, Pos, ParseState>()

do
    let afterSymbol (next: char list) : P<Pos> =
        (if next.IsEmpty then
             preturn ()
         else
             notFollowedBy (anyOf next))
        >>. pos
        .>> ws

    let afterWord: P<Pos> = notFollowedBy (satisfy isIdChar) >>. pos .>> ws

    let binary text after prec assoc op =
        opp.AddOperator(
            InfixOperator(
                text,
                after,
                prec,
                assoc,
                (fun (a: Expr) (b: Expr) -> Expr.Binary(op, a, b, Range.union a.Range b.Range))
            )
        )

    let prefix text after prec op =
        opp.AddOperator(
            PrefixOperator(
                text,
                after,
                prec,
                true,
                (),
                (fun (p: Pos) (x: Expr) ->
                    let start =
                        { p with
                            Column = p.Column - String.length text
                        }

                    Expr.Unary(op, x, Range.union (Range.make x.Range.File start start) x.Range))
            )
        )

    binary "or" afterWord 1 Associativity.Left BinaryOp.Or
    binary "and" afterWord 2 Associativity.Left BinaryOp.And
    prefix "not" afterWord 3 UnaryOp.Not
    binary "<" (afterSymbol [ '=' ]) 4 Associativity.None BinaryOp.Lt
    binary "<=" (afterSymbol []) 4 Associativity.None BinaryOp.Le
    binary ">" (afterSymbol [ '=' ]) 4 Associativity.None BinaryOp.Gt
    binary ">=" (afterSymbol []) 4 Associativity.None BinaryOp.Ge
    binary "==" (afterSymbol []) 4 Associativity.None BinaryOp.Eq
    binary "!=" (afterSymbol []) 4 Associativity.None BinaryOp.Ne
    binary "+" (afterSymbol []) 5 Associativity.Left BinaryOp.Add
    binary "-" (afterSymbol [ '>' ]) 5 Associativity.Left BinaryOp.Sub
    binary "*" (afterSymbol []) 6 Associativity.Left BinaryOp.Mul
    binary "/" (afterSymbol []) 6 Associativity.Left BinaryOp.Div
    prefix "-" (afterSymbol [ '>' ]) 7 UnaryOp.Neg
    binary "^" (afterSymbol []) 8 Associativity.Right BinaryOp.Pow
    opp.TermParser <- term

exprRef.Value <- opp.ExpressionParser <?> "expression"

// Statements

let private stmt (kw: string) (body: P<Range -> Decl>) : P<Decl> =
    pos .>> keyword kw .>>. body >>= fun (start, build) -> rangeFrom start |>> build

let private side =
    (keyword "long" >>% Side.Long) <|> (keyword "short" >>% Side.Short)

let private portfolioItem: P<PortfolioItem> =
    let leg =
        pos .>>. side
        >>= fun (start, s) ->
            let finish f = rangeFrom start |>> f

            choice
                [
                    keyword "top" >>. guardedExpr .>> keyword "by" .>>. guardedExpr
                    >>= fun (n, by) -> finish (fun r -> PortfolioItem.Rank(s, true, n, by, r))
                    keyword "bottom" >>. guardedExpr .>> keyword "by" .>>. guardedExpr
                    >>= fun (n, by) -> finish (fun r -> PortfolioItem.Rank(s, false, n, by, r))
                    keyword "quantile" >>. guardedExpr .>> keyword "of" .>>. guardedExpr
                    .>> keyword "by"
                    .>>. guardedExpr
                    >>= fun ((q, bins), by) -> finish (fun r -> PortfolioItem.Quantile(s, q, bins, by, r))
                    keyword "when" >>. guardedExpr
                    .>>. opt (keyword "exit" >>. keyword "when" >>. guardedExpr)
                    >>= fun (entry, exit) -> finish (fun r -> PortfolioItem.Threshold(s, entry, exit, r))
                ]
            <?> "'top', 'bottom', 'quantile' or 'when'"

    let scope =
        pos .>> keyword "scope" .>>. ident
        >>= fun (start, id) -> rangeFrom start |>> fun r -> PortfolioItem.Scope(id, r)

    let weight =
        attempt (ident .>> keyword "weight")
        >>= fun id -> rangeFrom id.Range.Start |>> fun r -> PortfolioItem.Weight(id, r)

    let exposure =
        ident .>>. guardedExpr
        >>= fun (id, v) -> rangeFrom id.Range.Start |>> fun r -> PortfolioItem.Exposure(id, v, r)

    choice [ leg; scope; weight; exposure ] <?> "portfolio leg or setting"

let private clause: P<Clause> =
    let actions = sym "->" >>. sepBy1 ident (keyword "and")

    pipe5
        (identAdjacent <?> "setting")
        (opt args .>> ws)
        (opt guardedExpr)
        (opt (keyword "of" >>. keyword "nav"))
        (opt actions)
        (fun key a v ofNav acts -> key, a, v, ofNav.IsSome, defaultArg acts [])
    >>= fun (key, a, v, ofNav, acts) ->
        rangeFrom key.Range.Start
        |>> fun r ->
            {
                Key = key
                Args = a
                Value = v
                OfNav = ofNav
                Actions = acts
                Range = r
            }

let private domain: P<Domain> =
    let choices = sym "[" >>. sepBy guardedExpr (sym ",") .>> sym "]" |>> Domain.Choices

    let span =
        pipe4
            (guardedExpr .>> sym "..")
            guardedExpr
            (opt (keyword "by" >>. guardedExpr))
            (opt (keyword "log"))
            (fun lo hi step log -> Domain.Span(lo, hi, step, log.IsSome))

    choices <|> span <?> "range or list of choices"

let private condition: P<Condition> =
    let values =
        // '==' as in expressions reads the same as '='
        ((sym "==" <|> sym "=") >>. guardedExpr |>> List.singleton)
        <|> (keyword "in" >>. sym "[" >>. sepBy1 guardedExpr (sym ",") .>> sym "]")
        <?> "'= value' or 'in [values]'"

    pos .>> keyword "when" .>>. ident .>>. values
    >>= fun ((start, p), vs) ->
        rangeFrom start
        |>> fun r ->
            {
                Parameter = p
                Values = vs
                Range = r
            }

let private statement: P<Decl> =
    let named kw build =
        stmt kw (ident .>> sym "=" .>>. guardedExpr |>> fun (n, v) -> fun r -> build (n, v, r))

    let universe =
        choice
            [
                keyword "all" >>% Universe.All
                keyword "top" >>. guardedExpr .>> keyword "by"
                .>>. ident
                .>>. opt (keyword "every" >>. guardedExpr)
                |>> fun ((n, by), every) -> Universe.Top(n, by, every)
                guardedExpr |>> Universe.Symbols
            ]

    choice
        [
            stmt "strategy" (ident .>>. opt textLiteral |>> fun (n, d) -> fun r -> Decl.Strategy(n, d, r))
            stmt "data" (ident |>> fun n -> fun r -> Decl.Data(n, r))
            stmt "bar" (guardedExpr |>> fun e -> fun r -> Decl.Bar(e, r))
            stmt "universe" (universe |>> fun u -> fun r -> Decl.Universe(u, r))
            stmt "include" (textLiteral |>> fun p -> fun r -> Decl.Include(p, r))
            stmt
                "param"
                (ident .>> sym "="
                 .>>. guardedExpr
                 .>>. opt (keyword "in" >>. domain)
                 .>>. opt condition
                 |>> fun (((n, v), d), c) -> fun r -> Decl.Param(n, v, d, c, r))
            stmt
                "def"
                (ident .>>. (sym "(" >>. sepBy ident (sym ",") .>> sym ")") .>> sym "="
                 .>>. guardedExpr
                 |>> fun ((n, ps), body) -> fun r -> Decl.Def(n, ps, body, r))
            named "let" Decl.Let
            named "signal" Decl.Signal
            named "label" Decl.Label
            stmt
                "model"
                (ident .>> sym "="
                 .>>. guardedExpr
                 .>>. opt (keyword "learn" >>. ident)
                 .>>. opt (keyword "train" >>. guardedExpr)
                 |>> fun (((n, spec), learn), train) -> fun r -> Decl.Model(n, spec, learn, train, r))
            stmt
                "portfolio"
                (sepBy1 portfolioItem (sym ",")
                 |>> fun items -> fun r -> Decl.Portfolio(items, r))
            stmt
                "rebalance"
                (keyword "every" >>. ((keyword "bar" >>% None) <|> (guardedExpr |>> Some))
                 .>>. opt (
                     sym ","
                     >>. keyword "keep"
                     >>. keyword "while"
                     >>. keyword "rank"
                     >>. keyword "within"
                     >>. guardedExpr
                 )
                 |>> fun (every, keep) -> fun r -> Decl.Rebalance(every, keep, r))
            stmt "costs" (sepBy1 clause (sym ",") |>> fun cs -> fun r -> Decl.Costs(cs, r))
            stmt "risk" (sepBy1 clause (sym ";" <|> sym ",") |>> fun cs -> fun r -> Decl.Risk(cs, r))
            stmt "execution" (sepBy1 clause (sym ",") |>> fun cs -> fun r -> Decl.Execution(cs, r))
            stmt "exits" (sepBy1 clause (sym ",") |>> fun cs -> fun r -> Decl.Exits(cs, r))
        ]
    <?> "statement"

// Error conversion: the one place a ParserError becomes a Diagnostic

let private describeFound (text: string) (index: int) =
    if index >= text.Length || text.Substring(index).Trim().Length = 0 then
        "end of statement", 1
    else
        let c = text[index]

        let length =
            if isIdChar c then
                let mutable j = index

                while j < text.Length && isIdChar text[j] do
                    j <- j + 1

                j - index
            else
                1

        let token = text.Substring(index, length)
        (if c = '\n' then "end of line" else $"'%s{token}'"), length

let rec private collect (msgs: ErrorMessageList) : string list * string list =
    let arr = ErrorMessageList.ToSortedArray msgs

    let expected =
        arr
        |> Array.choose (fun m ->
            match m with
            | Expected "prefix operator" -> None
            | Expected "infix operator" -> Some "operator"
            | Expected label -> Some label
            | ExpectedString "#" -> None
            | ExpectedString s -> Some $"'%s{s}'"
            | _ -> None)
        |> List.ofArray

    let others =
        arr
        |> Array.choose (fun m ->
            match m with
            | Message text -> Some text
            | _ -> None)
        |> List.ofArray

    expected, others

let private joinAlternatives (items: string list) =
    match items |> List.distinct with
    | [] -> "a statement"
    | [ x ] -> x
    | xs ->
        let front = xs |> List.take (xs.Length - 1)
        System.String.Join(", ", front) + " or " + List.last xs

let private toDiagnostic (file: string) (lineOffset: int) (chunk: string) (error: ParserError) =
    // descend into nested errors (from backtracking) to report the innermost position
    let rec innermost (position: Position) (msgs: ErrorMessageList) =
        let nested =
            ErrorMessageList.ToSortedArray msgs
            |> Array.tryPick (fun m ->
                match m with
                | :? ErrorMessage.NestedError as n -> Some(n.Position, n.Messages)
                | :? ErrorMessage.CompoundError as c -> Some(c.NestedErrorPosition, c.NestedErrorMessages)
                | _ -> None)

        let expected, others = collect msgs

        match nested with
        | Some(p, m) when expected.IsEmpty && others.IsEmpty -> innermost p m
        | _ -> position, expected, others

    let position, expected, others = innermost error.Position error.Messages
    let index = int position.Index
    let found, length = describeFound chunk index

    let start =
        {
            Line = int position.Line + lineOffset
            Column = int position.Column
        }

    let range =
        Range.make
            file
            start
            { start with
                Column = start.Column + length
            }

    let marked (marker: string) =
        others
        |> List.tryPick (fun m ->
            if m.StartsWith marker then
                Some(m.Substring marker.Length)
            else
                None)

    let spanning (text: string) =
        Range.make
            file
            start
            { start with
                Column = start.Column + text.Length
            }

    match marked numberOutOfRangeMarker, marked unknownUnitMarker with
    | Some text, _ ->
        // reported after the literal: its range starts where the literal does
        let at =
            { start with
                Column = start.Column - text.Length
            }

        numberOutOfRange (Range.make file at start) (text.Trim())
    | None, Some letters -> unknownUnit (spanning letters) letters
    | None, None when List.contains tooDeep others -> nestedTooDeeply range maxDepth
    | None, None ->
        match others with
        | text :: _ when expected.IsEmpty -> syntaxError range (joinAlternatives [ text ]) found
        | _ -> syntaxError range (joinAlternatives expected) found

let private runChunk (p: P<'a>) (file: string) (lineOffset: int) (chunk: string) : Result<'a, Diagnostic> =
    let state =
        {
            File = file
            LineOffset = lineOffset
            LastEnd = { Line = lineOffset + 1; Column = 1 }
        }

    try
        match runParserOnString (ws >>. p .>> (eof <?> "end of statement")) state file chunk with
        | Success(v, _, _) -> Result.Ok v
        | Failure(_, error, _) -> Result.Error(toDiagnostic file lineOffset chunk error)
    with ex ->
        let at =
            Range.make file { Line = lineOffset + 1; Column = 1 } { Line = lineOffset + 1; Column = 2 }

        Result.Error(syntaxError at "a statement" $"text the parser could not read (%s{ex.GetType().Name})")

// Chunking: statements start at column 1; indented, blank and comment lines continue or separate them

type private LineKind =
    | Blank
    | CommentOnly of string
    | Start
    | Continuation

let private commentOf (line: string) =
    let mutable inText = false
    let mutable result = None
    let mutable i = 0

    while result.IsNone && i < line.Length do
        let c = line[i]

        if c = '"' then
            inText <- not inText
        elif c = '#' && not inText then
            result <- Some(line.Substring(i + 1).TrimEnd())

        i <- i + 1

    result

let private classify (line: string) =
    let trimmed = line.TrimStart()

    if trimmed.Length = 0 then
        Blank
    elif trimmed[0] = '#' then
        CommentOnly(trimmed.Substring(1).TrimEnd())
    elif isIdStart line[0] then
        Start
    else
        Continuation

let private unknownStatementCheck (file: string) (lineNo: int) (line: string) =
    let word = line |> Seq.takeWhile isIdChar |> Seq.toArray |> System.String

    if word.Length > 0 && not (List.contains word statementKeywords) then
        let r =
            Range.make
                file
                { Line = lineNo; Column = 1 }
                {
                    Line = lineNo
                    Column = 1 + word.Length
                }

        let d = syntaxError r "a statement keyword" $"'%s{word}'"

        Some
            { d with
                Hint =
                    suggest word statementKeywords
                    |> Option.map (sprintf "did you mean '%s'?")
                    |> Option.orElse (Some("statements start with " + System.String.Join(", ", statementKeywords)))
            }
    else
        None


// FParsec's operator parser recurses once per prefix operator (and per '^'), and every bracket is a level of
// nesting: long runs of them are refused before parsing, so check and fmt (whatever stack they run on) give the
// same diagnostic. Text literals and comments are skipped.
let private nestingStart (chunk: string) : int option =
    let mutable run = 0
    let mutable runStart = 0
    let mutable found = None
    let mutable powers = 0
    let mutable depth = 0
    let mutable i = 0

    let skipTo (stop: char) =
        while i < chunk.Length && chunk[i] <> stop && chunk[i] <> '\n' do
            i <- i + 1

    while found.IsNone && i < chunk.Length do
        let c = chunk[i]

        if c = ' ' || c = '\t' || c = '\r' || c = '\n' then
            i <- i + 1
        elif c = '#' then
            skipTo '\n'
        elif c = '"' then
            i <- i + 1
            skipTo '"'
            i <- i + 1
            run <- 0
        elif c = '-' && not (i + 1 < chunk.Length && chunk[i + 1] = '>') then
            if run = 0 then
                runStart <- i

            run <- run + 1
            i <- i + 1
        elif
            c = 'n'
            && i + 3 <= chunk.Length
            && chunk.Substring(i, 3) = "not"
            && (i + 3 = chunk.Length || not (isIdChar chunk[i + 3]))
            && (i = 0 || not (isIdChar chunk[i - 1]))
        then
            if run = 0 then
                runStart <- i

            run <- run + 1
            i <- i + 3
        else
            // '^' is right-associative: the operator parser recurses once per operator in a chain
            if c = '^' then
                powers <- powers + 1

                if powers > maxDepth then
                    found <- Some i
            elif c = '(' || c = '[' then
                depth <- depth + 1

                if depth > maxDepth then
                    found <- Some i
            elif c = ')' || c = ']' then
                depth <- max 0 (depth - 1)

            run <- 0
            i <- i + 1

        if run > maxDepth then
            found <- Some runStart

    found

let parse (path: string) (text: string) : Program * Diagnostic list =
    let lines = text.Replace("\r\n", "\n").Split('\n')
    let kinds = lines |> Array.map classify
    // statement starts: lines at column 1; a file that starts indented opens a statement at its first code line
    let starts =
        [
            let mutable opened = false

            for i in 0 .. lines.Length - 1 do
                match kinds[i] with
                | Start ->
                    opened <- true
                    yield i
                | Continuation when not opened ->
                    opened <- true
                    yield i
                | _ -> ()
        ]

    let isCode i =
        match kinds[i] with
        | Start
        | Continuation -> true
        | _ -> false

    let diagnostics = ResizeArray()

    let statements =
        starts
        |> List.mapi (fun n first ->
            let limit =
                if n + 1 < starts.Length then
                    starts[n + 1] - 1
                else
                    lines.Length - 1

            let mutable last = first

            for i in first..limit do
                if isCode i then
                    last <- i

            let previousEnd =
                if n = 0 then
                    -1
                else
                    let prevFirst = starts[n - 1]
                    let mutable l = prevFirst

                    for i in prevFirst .. first - 1 do
                        if isCode i then
                            l <- i

                    l

            let gap = [ previousEnd + 1 .. first - 1 ]

            let leading =
                gap
                |> List.choose (fun i ->
                    match kinds[i] with
                    | CommentOnly c -> Some c
                    | _ -> None)

            let blankBefore =
                n > 0
                && gap
                   |> List.exists (fun i ->
                       match kinds[i] with
                       | Blank -> true
                       | _ -> false)

            let trailing = [ first..last ] |> List.choose (fun i -> commentOf lines[i])
            let chunk = System.String.Join("\n", lines[first..last])

            let declares =
                let m =
                    System.Text.RegularExpressions.Regex.Match(
                        lines[first],
                        @"^(let|signal|label|model|param|def)\s+([A-Za-z_][A-Za-z0-9_]*)"
                    )

                if m.Success then Some m.Groups[2].Value else None

            let decl =
                match unknownStatementCheck path (first + 1) lines[first] with
                | Some d ->
                    diagnostics.Add d
                    Decl.Error(declares, d.Range)
                | None ->
                    match nestingStart chunk with
                    | Some index ->
                        let before = chunk.Substring(0, index)
                        let line = first + 1 + (before |> Seq.filter (fun c -> c = '\n') |> Seq.length)
                        let column = index - (before.LastIndexOf '\n' + 1) + 1
                        let at = { Line = line; Column = column }

                        let d =
                            nestedTooDeeply (Range.make path at { at with Column = column + 1 }) maxDepth

                        diagnostics.Add d
                        Decl.Error(declares, d.Range)
                    | None ->
                        match runChunk statement path first chunk with
                        | Result.Ok d ->
                            match deepest d with
                            | depth, Some r when depth > maxDepth ->
                                diagnostics.Add(nestedTooDeeply r maxDepth)
                                Decl.Error(declares, d.Range)
                            | _ -> d
                        | Result.Error d ->
                            diagnostics.Add d

                            Decl.Error(
                                declares,
                                Range.make
                                    path
                                    { Line = first + 1; Column = 1 }
                                    {
                                        Line = last + 1
                                        Column = lines[last].Length + 1
                                    }
                            )

            {
                Decl = decl
                Leading = leading
                Trailing = trailing
                BlankBefore = blankBefore
            })

    let lastCode =
        match starts with
        | [] -> -1
        | _ ->
            let mutable l = List.last starts

            for i in l .. lines.Length - 1 do
                if isCode i then
                    l <- i

            l

    let trailingComments =
        [ lastCode + 1 .. lines.Length - 1 ]
        |> List.choose (fun i ->
            match kinds[i] with
            | CommentOnly c -> Some c
            | _ -> None)

    {
        File = path
        Statements = statements
        TrailingComments = trailingComments
    },
    List.ofSeq diagnostics

let parseExpr (text: string) : Result<Expr, Diagnostic list> =
    match runChunk guardedExpr "<expression>" 0 text with
    | Result.Ok e -> Result.Ok e
    | Result.Error d -> Result.Error [ d ]
