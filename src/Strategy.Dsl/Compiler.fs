module StrategyLab.Strategy.Dsl.Compiler

open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl.Diagnostics
open StrategyLab.Strategy.Dsl.Syntax

let languageVersion = "0.1"

let private joinPath (including: string) (relative: string) =
    if System.IO.Path.IsPathRooted relative then
        relative
    else
        match System.IO.Path.GetDirectoryName including with
        | null
        | "" -> relative
        | folder -> System.IO.Path.Combine(folder, relative).Replace('\\', '/')

// splices included statements in place of each include, depth first, refusing cycles
let rec private expand
    (readFile: string -> Result<string, string>)
    (stack: string list)
    (program: Program)
    : Statement list * Diagnostic list =
    let results =
        program.Statements
        |> List.map (fun s ->
            match s.Decl with
            | Decl.Include(relative, range) ->
                let path = joinPath program.File relative

                if List.contains path stack || stack.Length > 32 then
                    [], [ includeCycle range relative ]
                else
                    match readFile path with
                    | Result.Error reason -> [], [ includeNotRead range relative reason ]
                    | Result.Ok text ->
                        let included, parseErrors = Parser.parse path text
                        let statements, more = expand readFile (path :: stack) included
                        statements, parseErrors @ more
            | _ -> [ s ], [])

    results |> List.collect fst, results |> List.collect snd

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

let private compileOnThisStack (readFile: string -> Result<string, string>) (path: string) (text: string) =
    let program, parseErrors = Parser.parse path text
    let statements, includeErrors = expand readFile [ path ] program
    let expanded = { program with Statements = statements }

    let checkedResult = Check.check expanded
    let earlier = parseErrors @ includeErrors

    let inOrder (ds: Diagnostic list) =
        ds
        |> List.sortBy (fun d -> d.Range.File <> path, d.Range.File, d.Range.Start.Line, d.Range.Start.Column)

    match checkedResult with
    | Result.Error checkErrors -> Result.Error(inOrder (earlier @ checkErrors))
    | Result.Ok _ when not earlier.IsEmpty -> Result.Error(inOrder earlier)
    | Result.Ok c -> Lower.lower c

let compileWith (readFile: string -> Result<string, string>) (path: string) (text: string) =
    withLargeStack (fun () -> compileOnThisStack readFile path text)

let compile (path: string) (text: string) =
    compileWith (fun _ -> Result.Error "no file reader was given to the compiler") path text

let format (path: string) (text: string) =
    match Parser.parse path text with
    | program, [] -> Result.Ok(Format.format program)
    | _, errors -> Result.Error errors

let explain (plan: StrategyPlan) = Explain.explain plan

let renderWith (readFile: string -> Result<string, string>) (path: string) (text: string) (diagnostic: Diagnostic) =
    let d = diagnostic

    if d.Range.File = path then
        render text d
    else
        match readFile d.Range.File with
        | Result.Ok other -> render other d
        | Result.Error _ -> render "" d
