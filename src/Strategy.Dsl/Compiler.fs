module StrategyLab.Strategy.Dsl.Compiler

open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl.Diagnostics
open StrategyLab.Strategy.Dsl.Syntax
open StrategyLab.Strategy.Dsl.Includes

let languageVersion = "0.1"

let maxIncludeDepth = 16

let maxIncludes = 64

// a refused include is reported at the include and never read, so no diagnostic can quote a foreign file
let private refusedPath range (relative: string) (problem: PathProblem) =
    match problem with
    | PathProblem.Invalid -> includePathInvalid range relative
    | PathProblem.Absolute -> includePathAbsolute range relative
    | PathProblem.Outside -> includeOutsideFolder range relative
    | PathProblem.NotStrategyFile -> includeNotStrategyFile range relative

let private unread range (relative: string) (problem: IncludeProblem) =
    match problem with
    | IncludeProblem.Missing -> includeNotRead range relative "no such file"
    | IncludeProblem.OutsideFolder -> includeOutsideFolder range relative
    | IncludeProblem.NotStrategyFile -> includeNotStrategyFile range relative
    | IncludeProblem.NotRegularFile -> includeNotRegularFile range relative
    | IncludeProblem.TooLarge -> includeTooLarge range relative maxFileBytes
    | IncludeProblem.Unreadable reason -> includeNotRead range relative reason

// splices included statements in place of each include, depth first, refusing cycles, depth and count past the
// limits, and paths the include rules refuse
let private expand (readInclude: IncludeReader) (program: Program) : Statement list * Diagnostic list =
    let mutable followed = 0

    let rec splice (stack: string list) (program: Program) : Statement list * Diagnostic list =
        let results =
            program.Statements
            |> List.map (fun s ->
                match s.Decl with
                | Decl.Include(relative, range) ->
                    match resolve program.File relative with
                    | Result.Error problem -> [], [ refusedPath range relative problem ]
                    | Result.Ok request when List.contains request.Path stack -> [], [ includeCycle range relative ]
                    | Result.Ok _ when stack.Length > maxIncludeDepth ->
                        [],
                        [
                            includeLimit range relative $"includes are nested more than %d{maxIncludeDepth} deep"
                        ]
                    | Result.Ok _ when followed >= maxIncludes ->
                        [],
                        [
                            includeLimit range relative $"a strategy follows at most %d{maxIncludes} includes"
                        ]
                    | Result.Ok request ->
                        followed <- followed + 1

                        match readInclude request with
                        | Result.Error problem -> [], [ unread range relative problem ]
                        | Result.Ok text ->
                            let included, parseErrors = Parser.parse request.Path text
                            let statements, more = splice (request.Path :: stack) included
                            statements, parseErrors @ more
                | _ -> [ s ], [])

        results |> List.collect fst, results |> List.collect snd

    splice [ program.File ] program

// checking and lowering recurse along chains of definitions; a large stack keeps long chains from overflowing
let private withLargeStack (work: unit -> 'a) : 'a =
    let mutable result = None
    let mutable failure = None

    let thread =
        System.Threading.Thread(
            (fun () ->
                try
                    result <- Some(work ())
                with ex ->
                    failure <- Some(System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture ex)),
            256 * 1024 * 1024
        )

    thread.Start()
    thread.Join()

    match result, failure with
    | Some r, _ -> r
    | _, Some f ->
        f.Throw()
        failwith "unreachable"
    | None, None -> failwith "the compiler thread ended without a result"

let private compileOnThisStack
    (readInclude: IncludeReader)
    (data: DataCheck.DataFolder option)
    (path: string)
    (text: string)
    =
    let program, parseErrors = Parser.parse path text
    let statements, includeErrors = expand readInclude program
    let expanded = { program with Statements = statements }

    let checkedResult = Check.check expanded
    let earlier = parseErrors @ includeErrors

    let inOrder (ds: Diagnostic list) =
        ds
        |> List.sortBy (fun d -> d.Range.File <> path, d.Range.File, d.Range.Start.Line, d.Range.Start.Column)

    match checkedResult with
    | Result.Error checkErrors -> Result.Error(inOrder (earlier @ checkErrors))
    | Result.Ok _ when not earlier.IsEmpty -> Result.Error(inOrder earlier)
    | Result.Ok c ->
        match data |> Option.map (DataCheck.check expanded c) with
        | Some(_ :: _ as dataErrors) -> Result.Error(inOrder dataErrors)
        | _ -> Lower.lower c

let compileWith (readInclude: IncludeReader) (path: string) (text: string) =
    withLargeStack (fun () -> compileOnThisStack readInclude None path text)

let compileAgainst (readInclude: IncludeReader) (data: DataCheck.DataFolder) (path: string) (text: string) =
    withLargeStack (fun () -> compileOnThisStack readInclude (Some data) path text)

let compile (path: string) (text: string) =
    compileWith (fun _ -> Result.Error(IncludeProblem.Unreadable "no file reader was given to the compiler")) path text

// the first statement whose tree differs, by a range-blind printing that keeps every number's digits and kind
let private firstDifference (before: Program) (after: Program) : Range option =
    let dump (p: Program) =
        p.Statements |> List.map (fun s -> Dump.decl s.Decl, s.Decl.Range)

    let a = dump before
    let b = dump after

    if a.Length <> b.Length then
        Some(Range.startOf before.File)
    else
        List.zip a b
        |> List.tryFind (fun ((x, _), (y, _)) -> x <> y)
        |> Option.map (fun ((_, r), _) -> r)

let private formatOnThisStack (path: string) (text: string) =
    match Parser.parse path text with
    | _, (_ :: _ as errors) -> Result.Error errors
    | program, [] ->
        let formatted = Format.format program

        match Parser.parse path formatted with
        | _, (_ :: _) ->
            Result.Error
                [
                    formatChangesMeaning (Range.startOf path) "the formatted text does not parse"
                ]
        | again, [] ->
            match firstDifference program again with
            | Some r -> Result.Error [ formatChangesMeaning r "this statement would read differently" ]
            | None -> Result.Ok formatted

let format (path: string) (text: string) =
    withLargeStack (fun () -> formatOnThisStack path text)

let formatWith (readInclude: IncludeReader) (path: string) (text: string) =
    withLargeStack (fun () ->
        match formatOnThisStack path text with
        | Result.Error e -> Result.Error e
        | Result.Ok formatted ->
            match compileOnThisStack readInclude None path text with
            | Result.Error _ -> Result.Ok formatted
            | Result.Ok plan ->
                match compileOnThisStack readInclude None path formatted with
                | Result.Ok again when again.ContentHash() = plan.ContentHash() -> Result.Ok formatted
                | _ -> Result.Error [ formatChangesMeaning (Range.startOf path) "the plan would change" ])

let explain (plan: StrategyPlan) = Explain.explain plan

let renderWith (source: string -> string option) (path: string) (text: string) (diagnostic: Diagnostic) =
    let d = diagnostic

    if d.Range.File = path then
        render text d
    else
        render (defaultArg (source d.Range.File) "") d
