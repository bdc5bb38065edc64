module StrategyLab.Strategy.Dsl.Format

open StrategyLab.Strategy.Dsl.Syntax

let private e = Print.expr

let private opt (f: 'a -> string) (o: 'a option) =
    o |> Option.map f |> Option.defaultValue ""

let private clause (c: Clause) =
    c.Key.Name
    + opt (fun a -> "(" + Print.args a + ")") c.Args
    + opt (fun v -> " " + e v) c.Value
    + (if c.OfNav then " of nav" else "")
    + (if c.Actions.IsEmpty then
           ""
       else
           " -> " + System.String.Join(" and ", c.Actions |> List.map (fun a -> a.Name)))

let private side s =
    match s with
    | Side.Long -> "long"
    | Side.Short -> "short"

let private portfolioItem (p: PortfolioItem) =
    match p with
    | PortfolioItem.Rank(s, top, n, by, _) ->
        $"""%s{side s} %s{(if top then "top" else "bottom")} %s{e n} by %s{e by}"""
    | PortfolioItem.Quantile(s, q, bins, by, _) -> $"%s{side s} quantile %s{e q} of %s{e bins} by %s{e by}"
    | PortfolioItem.Threshold(s, entry, exit, _) ->
        $"%s{side s} when %s{e entry}" + opt (fun x -> " exit when " + e x) exit
    | PortfolioItem.Weight(w, _) -> w.Name + " weight"
    | PortfolioItem.Scope(s, _) -> "scope " + s.Name
    | PortfolioItem.Exposure(k, v, _) -> k.Name + " " + e v

let decl (decl: Decl) =
    let d = decl
    let join (sep: string) (items: string list) = System.String.Join(sep, items)

    match d with
    | Decl.Strategy(n, desc, _) -> "strategy " + n.Name + opt (fun s -> " \"" + s + "\"") desc
    | Decl.Data(n, _) -> "data " + n.Name
    | Decl.Bar(b, _) -> "bar " + e b
    | Decl.Universe(Universe.All, _) -> "universe all"
    | Decl.Universe(Universe.Top(n, by, every), _) ->
        $"universe top %s{e n} by %s{by.Name}" + opt (fun x -> " every " + e x) every
    | Decl.Universe(Universe.Symbols s, _) -> "universe " + e s
    | Decl.Include(p, _) -> "include \"" + p + "\""
    | Decl.Param(n, v, domain, cond, _) ->
        let d =
            match domain with
            | None -> ""
            | Some(Domain.Choices vs) -> " in [" + join ", " (vs |> List.map e) + "]"
            | Some(Domain.Span(lo, hi, step, log)) ->
                " in "
                + e lo
                + ".."
                + e hi
                + opt (fun s -> " by " + e s) step
                + (if log then " log" else "")

        let c =
            match cond with
            | None -> ""
            | Some { Parameter = p; Values = [ v ] } -> $" when %s{p.Name} = %s{e v}"
            | Some { Parameter = p; Values = vs } -> $" when %s{p.Name} in [" + join ", " (vs |> List.map e) + "]"

        $"param %s{n.Name} = %s{e v}%s{d}%s{c}"
    | Decl.Def(n, ps, body, _) ->
        let names = join ", " (ps |> List.map (fun p -> p.Name))
        $"def %s{n.Name}(%s{names}) = %s{e body}"
    | Decl.Let(n, v, _) -> $"let %s{n.Name} = %s{e v}"
    | Decl.Signal(n, v, _) -> $"signal %s{n.Name} = %s{e v}"
    | Decl.Label(n, v, _) -> $"label %s{n.Name} = %s{e v}"
    | Decl.Model(n, spec, learn, train, _) ->
        $"model %s{n.Name} = %s{e spec}"
        + opt (fun (l: Ident) -> "\n    learn " + l.Name) learn
        + opt (fun t -> "\n    train " + e t) train
    | Decl.Portfolio(items, _) -> "portfolio " + join ", " (items |> List.map portfolioItem)
    | Decl.Rebalance(every, keep, _) ->
        "rebalance every "
        + (every |> Option.map e |> Option.defaultValue "bar")
        + opt (fun k -> ", keep while rank within " + e k) keep
    | Decl.Costs(cs, _) -> "costs " + join ", " (cs |> List.map clause)
    | Decl.Risk(cs, _) -> "risk " + join "; " (cs |> List.map clause)
    | Decl.Execution(cs, _) -> "execution " + join ", " (cs |> List.map clause)
    | Decl.Exits(cs, _) -> "exits " + join ", " (cs |> List.map clause)
    | Decl.Error _ -> "<error>"

let format (program: Program) =
    let sb = System.Text.StringBuilder()

    program.Statements
    |> List.iteri (fun i s ->
        if i > 0 && s.BlankBefore then
            sb.Append('\n') |> ignore

        for c in s.Leading do
            sb.Append('#').Append(c).Append('\n') |> ignore

        let text = decl s.Decl

        match s.Trailing with
        | [] -> sb.Append(text).Append('\n') |> ignore
        | comments ->
            let firstBreak = text.IndexOf '\n'
            let comment = "  #" + System.String.Join(" #", comments)

            if firstBreak < 0 then
                sb.Append(text).Append(comment).Append('\n') |> ignore
            else
                sb.Append(text.Substring(0, firstBreak)).Append(comment).Append(text.Substring firstBreak).Append('\n')
                |> ignore)

    for c in program.TrailingComments do
        sb.Append('#').Append(c).Append('\n') |> ignore

    sb.ToString()
