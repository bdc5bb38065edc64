module StrategyLab.Strategy.Dsl.DataCheck

open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl.Diagnostics
open StrategyLab.Strategy.Dsl.Syntax

type DataFolder =
    {
        Catalogue: string
        Datasets: string list
        Shape: string -> Result<DatasetShape, string>
    }

// every column a series reads, with where it is read
let rec private columnsOf (s: Check.Series) : (string * Range) list =
    match s with
    | Check.Series.Column(name, range) -> [ name, range ]
    | Check.Series.Op(_, inputs, _, _) -> inputs |> List.collect columnsOf
    | _ -> []

let private seriesOf (c: Check.Checked) : Check.Series list =
    [
        for _, _, s, _ in c.Named do
            yield s
        for m in c.Models do
            for s, _ in m.Inputs do
                yield s
        for leg in c.Legs do
            match leg with
            | Check.Leg.Rank(by = s)
            | Check.Leg.Quantile(by = s) -> yield s
            | Check.Leg.Threshold(_, entry, exit) ->
                yield entry
                yield! Option.toList exit
    ]

let private declRange (program: Program) (pick: Decl -> Range option) =
    program.Statements |> List.tryPick (fun s -> pick s.Decl)

let private againstShape (program: Program) (c: Check.Checked) (shape: DatasetShape) (dataRange: Range) =
    let has = set shape.Columns

    let missing (column: string) (range: Range) =
        if has.Contains column then
            None
        else
            Some(missingColumn range shape.Name column shape.Columns)

    let columnUses =
        seriesOf c
        |> List.collect columnsOf
        |> List.distinctBy (fun (name, r) -> name, r.File, r.Start.Line, r.Start.Column)
        |> List.choose (fun (name, r) -> missing name r)

    let universe =
        program.Statements
        |> List.collect (fun s ->
            match s.Decl with
            | Decl.Universe(Universe.Top(_, by, _), _) -> Option.toList (missing by.Name by.Range)
            | Decl.Universe(Universe.Symbols e, _) when not shape.Symbols.IsEmpty ->
                match c.Universe with
                | :? FixedUniverse as f ->
                    f.Symbols
                    |> Seq.filter (fun sym -> not (shape.Symbols.Contains sym))
                    |> Seq.map (fun sym -> missingSymbol e.Range shape.Name sym (suggest sym shape.Symbols))
                    |> List.ofSeq
                | _ -> []
            | _ -> [])

    let funding =
        match c.Costs |> Option.bind (fun costs -> Option.ofObj costs.FundingColumn) with
        | Some column ->
            declRange program (fun d ->
                match d with
                | Decl.Costs(range = r) -> Some r
                | _ -> None)
            |> Option.bind (missing column)
            |> Option.toList
        | None -> []

    let bar =
        let wanted = Interval(int64 c.Bar.Seconds * 1000L)

        match Resample.Refusal(shape.Interval, wanted) with
        | null -> []
        | why ->
            let at =
                declRange program (fun d ->
                    match d with
                    | Decl.Bar(range = r) -> Some r
                    | _ -> None)
                |> Option.defaultValue dataRange

            [ barNotAvailable at c.Bar.Text shape.Name why ]

    bar @ columnUses @ universe @ funding

let check (program: Program) (strategy: Check.Checked) (data: DataFolder) : Diagnostic list =
    let dataRange =
        declRange program (fun d ->
            match d with
            | Decl.Data(n, _) -> Some n.Range
            | _ -> None)
        |> Option.defaultValue (Range.startOf program.File)

    if not (List.contains strategy.Dataset data.Datasets) then
        [
            unknownDataset dataRange strategy.Dataset data.Catalogue (suggest strategy.Dataset data.Datasets)
        ]
    else
        match data.Shape strategy.Dataset with
        | Result.Error reason -> [ datasetNotReadable dataRange strategy.Dataset reason ]
        | Result.Ok shape -> againstShape program strategy shape dataRange
