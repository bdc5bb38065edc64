/// Lexical parsers: whitespace and comments, keywords, identifiers, number, duration and text literals
module StrategyLab.Strategy.Dsl.Lexical

open System.Globalization
open FParsec
open StrategyLab.Strategy.Dsl.Syntax

/// Parser state: the file, the line the parsed chunk starts at, and the end of the last token read
type ParseState =
    {
        File: string
        LineOffset: int
        LastEnd: Pos
    }

/// A parser over .strat text
type P<'a> = Parser<'a, ParseState>

/// True for characters that may start an identifier
let isIdStart c = isAsciiLetter c || c = '_'

/// True for characters that may continue an identifier
let isIdChar c = isAsciiLetter c || isDigit c || c = '_'

let private comment: P<unit> = skipChar '#' >>. skipManySatisfy (fun c -> c <> '\n')

/// Skips whitespace, newlines and comments
let ws: P<unit> =
    skipMany (
        skipMany1Satisfy (fun c -> c = ' ' || c = '\t' || c = '\r' || c = '\n')
        <|> comment
    )

/// Returns the current position in the file
let pos: P<Pos> =
    fun stream ->
        let p = stream.Position

        Reply
            {
                Line = int p.Line + stream.UserState.LineOffset
                Column = int p.Column
            }

let private markEnd: P<unit> =
    fun stream ->
        let p = stream.Position

        stream.UserState <-
            { stream.UserState with
                LastEnd =
                    {
                        Line = int p.Line + stream.UserState.LineOffset
                        Column = int p.Column
                    }
            }

        Reply(())

/// Returns the range from start to the end of the last token read
let rangeFrom (start: Pos) : P<Range> =
    fun stream -> Reply(Range.make stream.UserState.File start stream.UserState.LastEnd)

/// Runs p and returns its result with the range it covered
let ranged (p: P<'a>) : P<'a * Range> =
    pos >>= fun start -> p >>= fun v -> rangeFrom start |>> fun r -> v, r

/// Runs p as a token: records where it ended, then skips whitespace
let token (p: P<'a>) : P<'a> = p .>> markEnd .>> ws

/// A punctuation token such as '(' or '..'
let sym (s: string) : P<unit> = token (skipString s) <?> $"'%s{s}'"

/// A keyword that is not the start of a longer identifier
let keyword (k: string) : P<unit> =
    token (skipString k >>? notFollowedBy (satisfy isIdChar)) <?> $"'%s{k}'"

let private identText: P<string> =
    let raw = many1Satisfy2L isIdStart isIdChar "identifier"

    fun stream ->
        let mutable state = stream.State
        let reply = raw stream

        if reply.Status = Ok && reserved.Contains reply.Result then
            stream.BacktrackTo(&state)
            Reply(Error, expected "identifier")
        else
            reply

/// An identifier that is not a reserved word
let ident: P<Ident> =
    pos .>>. token identText
    >>= fun (start, name) -> rangeFrom start |>> fun r -> { Name = name; Range = r }

/// An identifier that is not a reserved word, without the whitespace after it (for "name(" that must be adjacent)
let identAdjacent: P<Ident> =
    pos .>>. (identText .>> markEnd)
    >>= fun (start, name) -> rangeFrom start |>> fun r -> { Name = name; Range = r }

/// A quoted text without line breaks
let textLiteral: P<string> =
    token (
        skipChar '"' >>. manySatisfy (fun c -> c <> '"' && c <> '\n')
        .>> (skipChar '"' <?> "closing quote")
    )
    <?> "text"

let private digits = many1Satisfy isDigit

let private numberText: P<string> =
    pipe3
        digits
        (opt (attempt (pchar '.' >>. digits)))
        (opt (attempt (anyOf "eE" >>. opt (anyOf "+-") .>>. digits)))
        (fun whole frac exp ->
            let f = frac |> Option.map (fun f -> "." + f) |> Option.defaultValue ""

            let e =
                exp
                |> Option.map (fun (sign, ds) -> "e" + (sign |> Option.map string |> Option.defaultValue "") + ds)
                |> Option.defaultValue ""

            whole + f + e)

let private unitSuffix: P<NumUnit> =
    let timeUnit c u =
        attempt (skipChar c >>. notFollowedBy (satisfy isIdChar)) >>% NumUnit.Time u

    choice
        [
            skipChar '%' >>% NumUnit.Percent
            timeUnit 's' TimeUnit.Second
            timeUnit 'm' TimeUnit.Minute
            timeUnit 'h' TimeUnit.Hour
            timeUnit 'd' TimeUnit.Day
            timeUnit 'w' TimeUnit.Week
            attempt (
                skipManySatisfy (fun c -> c = ' ' || c = '\t')
                >>. skipString "bps"
                >>. notFollowedBy (satisfy isIdChar)
            )
            >>% NumUnit.Bps
            preturn NumUnit.Plain
        ]

/// The message of a number literal too large for a double, before its text (the parser turns it into SL0103)
let numberOutOfRangeMarker = "number out of range: "

/// The message of a number directly followed by letters that are not a unit, before the letters (SL0105)
let unknownUnitMarker = "unknown unit: "

// a literal beyond double's range would read as infinity and print back as text that means something else
// (the error stays after the literal, where the parser reports it, so the marker carries the literal as written)
let private inRange (start: CharStreamState<ParseState>) (value: float) : P<unit> =
    fun stream ->
        if System.Double.IsInfinity value then
            Reply(FatalError, messageError (numberOutOfRangeMarker + stream.ReadFrom(start, false)))
        else
            Reply(())

// "1H" or "5ms": letters stuck to a number are a misspelt unit, not the start of the next token
let private noLettersAfter: P<unit> =
    fun stream ->
        if isIdStart (stream.Peek()) then
            let letters =
                stream.PeekString 32 |> Seq.takeWhile isIdChar |> Seq.toArray |> System.String

            Reply(FatalError, messageError (unknownUnitMarker + letters))
        else
            Reply(())

/// A number with an optional unit: 5, 0.25, 1e-3, 10%, 5 bps, 30s, 5m, 4h, 1d, 2w; true when written with a
/// fraction or an exponent
let numberLiteral: P<float * NumUnit * bool> =
    let literal: P<float * NumUnit * bool> =
        fun stream ->
            let start = stream.State
            let reply = (numberText .>>. unitSuffix) stream

            if reply.Status <> Ok then
                Reply(reply.Status, reply.Error)
            else
                let text, unit = reply.Result
                let value = System.Double.Parse(text, CultureInfo.InvariantCulture)
                let checkedRange = inRange start value stream

                if checkedRange.Status <> Ok then
                    Reply(checkedRange.Status, checkedRange.Error)
                else
                    let after =
                        if unit = NumUnit.Plain then
                            noLettersAfter stream
                        else
                            Reply(())

                    if after.Status <> Ok then
                        Reply(after.Status, after.Error)
                    else
                        Reply((value, unit, (text.Contains '.' || text.Contains 'e')))

    token literal <?> "number"
