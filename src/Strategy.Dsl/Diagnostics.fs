/// Diagnostics: the type, the numbered catalogue grouped by phase, and rendering
module StrategyLab.Strategy.Dsl.Diagnostics


/// How bad a diagnostic is
[<RequireQualifiedAccess>]
type Severity =
    | Error
    | Warning

/// A problem found in .strat source, with a stable code (SLxxxx), a one-line message and an optional fix-it hint
type Diagnostic =
    {
        Code: string
        Severity: Severity
        Range: Range
        Message: string
        Hint: string option
    }

let private err code range message hint =
    {
        Code = code
        Severity = Severity.Error
        Range = range
        Message = message
        Hint = hint
    }

let private didYouMean (suggestion: string option) =
    suggestion |> Option.map (sprintf "did you mean '%s'?")

/// Returns the candidate closest to name by edit distance, if it is close enough to be a likely typo
let suggest (name: string) (candidates: string seq) =
    let distance (a: string) (b: string) =
        let d = Array2D.zeroCreate (a.Length + 1) (b.Length + 1)

        for i in 0 .. a.Length do
            d[i, 0] <- i

        for j in 0 .. b.Length do
            d[0, j] <- j

        for i in 1 .. a.Length do
            for j in 1 .. b.Length do
                let cost = if a[i - 1] = b[j - 1] then 0 else 1
                d[i, j] <- min (min (d[i - 1, j] + 1) (d[i, j - 1] + 1)) (d[i - 1, j - 1] + cost)

        d[a.Length, b.Length]

    // a name that differs only in case is the likeliest typo, however long it is
    let sameButCase =
        candidates
        |> Seq.filter (fun c ->
            c <> name
            && System.String.Equals(c, name, System.StringComparison.OrdinalIgnoreCase))
        |> Seq.sort
        |> Seq.tryHead

    match sameButCase with
    | Some c -> Some c
    | None ->
        candidates
        |> Seq.map (fun c -> c, distance name c)
        |> Seq.filter (fun (c, d) -> d <= max 1 (min 3 (name.Length / 3 + 1)) && c <> name)
        |> Seq.sortBy (fun (c, d) -> d, c)
        |> Seq.tryHead
        |> Option.map fst

// SL00xx: files

/// SL0001: a strategy file named on the command line that cannot be read
let fileNotRead (file: string) (reason: string) =
    err "SL0001" (Range.startOf file) $"cannot read '%s{file}': %s{reason}" None

// SL01xx: syntax

/// SL0101: the parser met text it cannot read
let syntaxError range (expected: string) (found: string) =
    err "SL0101" range $"expected %s{expected}, found %s{found}" None

/// SL0102: an expression nested deeper than the compiler handles
let nestedTooDeeply range (limit: int) =
    err "SL0102" range $"expression nested more than %d{limit} levels deep" (Some "split it with 'let' definitions")

/// SL0103: a number literal beyond the largest number a double holds
let numberOutOfRange range (text: string) =
    err
        "SL0103"
        range
        $"the number %s{text} is out of range"
        (Some "numbers are at most 1.7976931348623157e308 in size")

/// SL0104: formatting that would change what the file means (the file is left as it is)
let formatChangesMeaning range (what: string) =
    err
        "SL0104"
        range
        $"formatting would change this file's meaning: %s{what}"
        (Some "the file was not changed; please report this file")

/// SL0105: a number directly followed by letters that are not a unit
let unknownUnit range (found: string) =
    err
        "SL0105"
        range
        $"expected a unit (s, m, h, d, w, %% or bps) after the number, found '%s{found}'"
        (Some "units are lowercase: 30s, 5m, 1h, 4h, 1d, 1w, 10%, 5 bps")

// SL02xx: names

/// SL0201: a name that is not a column, parameter, definition, model or comprehension variable
let unknownName range (name: string) suggestion =
    err "SL0201" range $"unknown name '%s{name}'" (didYouMean suggestion)

/// SL0202: a call to a function that is neither an operator nor a def
let unknownFunction range (name: string) suggestion =
    err "SL0202" range $"unknown function '%s{name}'" (didYouMean suggestion)

/// SL0203: a name declared twice
let duplicateDefinition range (name: string) (first: Range) =
    err "SL0203" range $"'%s{name}' is already defined" (Some $"the first definition is at line %d{first.Start.Line}")

/// SL0204: a definition that depends on itself
let circularDefinition range (cycle: string list) =
    let path = System.String.Join(" -> ", cycle)
    err "SL0204" range $"circular definition: %s{path}" None

/// SL0205: a model kind that does not exist
let unknownModelKind range (name: string) suggestion =
    err
        "SL0205"
        range
        $"unknown model kind '%s{name}'"
        (didYouMean suggestion
         |> Option.orElse (Some "use lstm, gbdt, linear or ensemble"))

/// SL0206: a training scheme that does not exist
let unknownTrainingScheme range (name: string) suggestion =
    err "SL0206" range $"unknown training scheme '%s{name}'" (didYouMean suggestion)

/// SL0207: an argument name the callee does not have
let unknownArgument range (fn: string) (name: string) suggestion =
    err "SL0207" range $"'%s{fn}' has no argument '%s{name}'" (didYouMean suggestion)

/// SL0208: a setting of costs, risk or execution that does not exist
let unknownSetting range (statement: string) (name: string) suggestion =
    err "SL0208" range $"unknown %s{statement} setting '%s{name}'" (didYouMean suggestion)

/// SL0209: a parameter condition that names no earlier parameter
let unknownConditionParameter range (name: string) suggestion =
    err
        "SL0209"
        range
        $"unknown parameter '%s{name}' in the condition"
        (didYouMean suggestion
         |> Option.orElse (Some "a condition names an earlier parameter with choices, e.g. 'when kind = \"ema\"'"))

/// SL0210: a parameter condition on a parameter declared after the one it conditions
let conditionOnLaterParameter range (name: string) (conditioned: string) (declared: Range) =
    err
        "SL0210"
        range
        $"'%s{conditioned}' depends on '%s{name}', which is declared after it (line %d{declared.Start.Line})"
        (Some $"declare '%s{name}' before '%s{conditioned}'")

/// SL0211: a parameter condition on the parameter itself
let conditionOnItself range (name: string) =
    err
        "SL0211"
        range
        $"'%s{name}' cannot depend on itself"
        (Some "a condition names another, earlier parameter with choices")

/// SL0212: parameter conditions that lead back to where they start
let conditionLoop range (name: string) (loop: string list) =
    err
        "SL0212"
        range
        $"""'%s{name}' depends on itself through conditions: %s{System.String.Join(" -> ", loop)}"""
        (Some "remove one of the conditions; each names an earlier parameter")

// SL03xx: types, arity and values

/// SL0301: too many positional arguments
let tooManyArguments range (fn: string) (most: int) (found: int) =
    err "SL0301" range $"'%s{fn}' takes at most %d{most} arguments, found %d{found}" None

/// SL0302: a required argument is missing
let missingArgument range (fn: string) (name: string) =
    err "SL0302" range $"'%s{fn}' needs the argument '%s{name}'" (Some $"add '%s{name}: ...'")

/// SL0303: the same argument given twice
let duplicateArgument range (fn: string) (name: string) =
    err "SL0303" range $"argument '%s{name}' of '%s{fn}' is given twice" None

/// SL0304: a value of the wrong type
let typeMismatch range (expected: string) (found: string) =
    err "SL0304" range $"expected %s{expected}, found %s{found}" None

/// SL0305: a duration window that is not a whole number of bars
let windowNotWholeBars range (window: string) (bar: string) =
    err
        "SL0305"
        range
        $"window %s{window} is not a whole number of %s{bar} bars"
        (Some "use a multiple of the bar interval, or a number of bars")

/// SL0306: a window or count that must be a positive whole number
let notPositiveWhole range (what: string) (found: string) =
    err "SL0306" range $"expected %s{what} to be a positive whole number, found %s{found}" None

/// SL0307: a text argument that is not one of its choices
let notAChoice range (name: string) (choices: string list) (found: string) =
    let listed = System.String.Join(", ", choices |> List.map (sprintf "\"%s\""))
    err "SL0307" range $"'%s{name}' must be one of %s{listed}, found \"%s{found}\"" None

/// SL0308: a parameter default outside its range or choices
let defaultOutsideDomain range (name: string) (value: string) (domain: string) =
    err "SL0308" range $"the default %s{value} of '%s{name}' is outside %s{domain}" None

/// SL0309: a parameter range whose lower bound exceeds its upper bound, or a non-positive step
let emptyRange range (lo: string) (hi: string) =
    err "SL0309" range $"the range %s{lo}..%s{hi} is empty" (Some "write the lower bound first")

/// SL0310: a value that must be a literal
let notALiteral range (what: string) =
    err "SL0310" range $"expected a literal %s{what}" (Some "write a number, text, true or false")

/// SL0311: a comprehension over a list not known before data is read
let comprehensionNotConstant range (found: string) =
    err
        "SL0311"
        range
        $"a comprehension needs a list known before any data is read, found %s{found}"
        (Some "parameters cannot change the number of series; use a literal list")

/// SL0312: an unsupported bar interval
let unsupportedInterval range (found: string) (supported: string seq) =
    err "SL0312" range $"unsupported bar interval %s{found}" (Some("use one of " + System.String.Join(", ", supported)))

/// SL0313: a log-scaled range that includes zero or negatives
let logRangeNotPositive range (name: string) =
    err "SL0313" range $"the log-scaled range of '%s{name}' must be above zero" None

/// SL0314: ensemble weights that do not match the members
let weightCountMismatch range (members: int) (weights: int) =
    err "SL0314" range $"the ensemble has %d{members} members but %d{weights} weights" None

/// SL0315: a value below the argument's minimum
let belowMinimum range (name: string) (minimum: float) (found: string) =
    err "SL0315" range $"'%s{name}' must be at least %g{minimum}, found %s{found}" None

/// SL0316: defs or comprehensions that expand beyond what the compiler evaluates
let expansionTooLarge range (limit: int) =
    err
        "SL0316"
        range
        $"the strategy expands to more than %d{limit} expressions"
        (Some "nested defs and comprehensions multiply; use 'let' to share a result")

/// SL0317: a value outside the range any run can use
let outsideRange range (what: string) (lowest: string) (highest: string) (found: string) hint =
    err "SL0317" range $"%s{what} must be between %s{lowest} and %s{highest}, found %s{found}" hint

/// SL0318: a 'key: value' row anywhere but in a table
let pairOutsideTable range =
    err
        "SL0318"
        range
        "a 'key: value' row belongs in a table"
        (Some "tables are written after a setting that takes one, such as 'exits roi [0: 4%, 30m: 2%]'")

/// SL0319: a parameter condition on a parameter without a list of choices
let conditionWithoutChoices range (name: string) =
    err
        "SL0319"
        range
        $"'%s{name}' has no choices for a condition to test"
        (Some "a condition names a parameter with a list of choices (in [...]) or a flag (true or false)")

/// SL0320: a parameter condition's value that is not one of the parameter's choices
let conditionValueNotAChoice range (name: string) (found: string) (choices: string list) =
    err
        "SL0320"
        range
        $"%s{found} is not a choice of '%s{name}'"
        (Some("its choices are " + System.String.Join(", ", choices)))

/// SL0321: a condition on a parameter that no search varies
let conditionOnConstant range (name: string) =
    err
        "SL0321"
        range
        $"'%s{name}' has no range or choices, so no search varies it and a condition has nothing to switch"
        (Some "give it a range (in LOW..HIGH) or choices (in [...]), or remove the condition")

// SL04xx: time safety

/// SL0401: a forward-looking expression outside a label definition
let forwardOutsideLabel range (expression: string) (context: string) =
    err
        "SL0401"
        range
        $"'%s{expression}' looks into the future and cannot be used in %s{context}"
        (Some "forward-looking expressions are only allowed in a 'label' definition")

/// SL0402: a label read anywhere but a model's learn clause or another label
let labelAsInput range (label: string) (context: string) =
    err
        "SL0402"
        range
        $"label '%s{label}' cannot be used in %s{context}"
        (Some $"a model can learn it: 'learn %s{label}'")

/// SL0403: a model learning something that is not a label
let learnNotALabel range (name: string) =
    err "SL0403" range $"'%s{name}' is not a label" (Some "declare the target with 'label NAME = ...'")

// SL05xx: strategy structure

/// SL0501: a required header statement is missing
let missingStatement range (keyword: string) (example: string) =
    err "SL0501" range $"missing '%s{keyword}' statement" (Some $"add '%s{example}'")

/// SL0502: a statement that may appear once appears again
let repeatedStatement range (keyword: string) (first: Range) =
    err "SL0502" range $"'%s{keyword}' is declared more than once" (Some $"the first is at line %d{first.Start.Line}")

/// SL0503: a statement not allowed in an included file
let notAllowedInInclude range (keyword: string) =
    err
        "SL0503"
        range
        $"'%s{keyword}' is not allowed in an included file"
        (Some "included files hold param, def, let, label and signal definitions")

/// SL0504: an included file that cannot be read
let includeNotRead range (path: string) (reason: string) =
    err "SL0504" range $"cannot read included file '%s{path}': %s{reason}" None

/// SL0505: an include cycle
let includeCycle range (path: string) =
    err "SL0505" range $"'%s{path}' includes itself" None

/// SL0513: an include path that is empty or holds characters no path may hold
let includePathInvalid range (path: string) =
    err
        "SL0513"
        range
        $"'%s{path}' is not a path to include"
        (Some "write the path of a .strat file beside this one, e.g. include \"shared/normalize.strat\"")

/// SL0514: an absolute include path
let includePathAbsolute range (path: string) =
    err
        "SL0514"
        range
        $"cannot include '%s{path}': include paths are relative to the including file's folder"
        (Some "move the file beside the strategy and name it relative to it")

/// SL0515: an include that leads out of the including file's folder, by '..' or through a symbolic link
let includeOutsideFolder range (path: string) =
    err
        "SL0515"
        range
        $"cannot include '%s{path}': it is outside the including file's folder"
        (Some "included files must be in the including file's folder or below it")

/// SL0516: an included file without the .strat extension
let includeNotStrategyFile range (path: string) =
    err "SL0516" range $"cannot include '%s{path}': only .strat files can be included" None

/// SL0517: an include that names a directory, a device, a pipe or an empty file
let includeNotRegularFile range (path: string) =
    err "SL0517" range $"cannot include '%s{path}': it is empty or not a regular file" None

/// SL0518: an included file larger than the limit
let includeTooLarge range (path: string) (limit: int64) =
    err "SL0518" range $"cannot include '%s{path}': it is larger than %d{limit / 1024L} KB" None

/// SL0519: includes nested too deeply, or too many of them
let includeLimit range (path: string) (what: string) =
    err "SL0519" range $"cannot include '%s{path}': %s{what}" None

/// SL0506: a model that learns nothing
let modelWithoutLabel range (model: string) =
    err "SL0506" range $"model '%s{model}' does not say what it learns" (Some "add 'learn LABEL'")

/// SL0507: a model without training scheme
let modelWithoutTraining range (model: string) =
    err
        "SL0507"
        range
        $"model '%s{model}' has no training scheme"
        (Some "add 'train walk_forward(train: ..., test: ...)'")

/// SL0508: a portfolio with no long or short leg
let portfolioWithoutLegs range =
    err "SL0508" range "the portfolio holds nothing" (Some "add a leg such as 'long top 5 by score'")

/// SL0509: an unknown risk action
let unknownRiskAction range (name: string) suggestion =
    err
        "SL0509"
        range
        $"unknown risk action '%s{name}'"
        (didYouMean suggestion |> Option.orElse (Some "use flatten, halt or stop"))

/// SL0510: a setting given twice
let repeatedSetting range (name: string) =
    err "SL0510" range $"'%s{name}' is given more than once" None

/// SL0511: a setting missing its value
let settingNeedsValue range (name: string) (what: string) =
    err "SL0511" range $"'%s{name}' needs %s{what}" None

/// SL0512: a model with no inputs
let modelWithoutInputs range (model: string) =
    err "SL0512" range $"model '%s{model}' has no inputs" (Some "add 'inputs: [...]'")

/// SL0520: a setting that applies to another order policy only
let settingNeedsPolicy range (setting: string) (policy: string) (why: string) =
    err "SL0520" range $"'%s{setting}' applies to %s{policy} orders only" (Some why)

/// Returns the diagnostic in MSBuild style: location, severity, code and message, then the source line, carets
/// under the range, and the hint
let render (source: string) (d: Diagnostic) =
    let lines = source.Replace("\r\n", "\n").Split('\n')
    let sb = System.Text.StringBuilder()

    let severity =
        match d.Severity with
        | Severity.Error -> "error"
        | Severity.Warning -> "warning"

    sb.Append(
        $"%s{d.Range.File}(%d{d.Range.Start.Line},%d{d.Range.Start.Column}): %s{severity} %s{d.Code}: %s{d.Message}"
    )
    |> ignore

    let lineIndex = d.Range.Start.Line - 1

    if lineIndex >= 0 && lineIndex < lines.Length then
        let line = lines[lineIndex].TrimEnd()
        let start = max 1 d.Range.Start.Column

        let width =
            if d.Range.End.Line = d.Range.Start.Line then
                d.Range.End.Column - start
            else
                line.Length - start + 1

        // tabs before the range are copied so the carets line up in any tab width
        let pad =
            (line.Substring(0, min (start - 1) line.Length)
             |> String.map (fun c -> if c = '\t' then '\t' else ' '))
                .PadRight(start - 1)

        sb.Append("\n    ").Append(line) |> ignore

        sb.Append("\n    ").Append(pad).Append(System.String('^', max 1 width))
        |> ignore

    match d.Hint with
    | Some h -> sb.Append("\n    hint: ").Append(h) |> ignore
    | None -> ()

    sb.ToString()

// SL06xx: lowering

/// SL0601: rank hysteresis without a ranked leg
let keepWithoutRankLeg range =
    err "SL0601" range "'keep while rank within' needs a 'top' or 'bottom' leg in the portfolio" None

/// SL0602: a quantile bucket outside 1..bins
let quantileOutOfRange range (bucket: string) (bins: string) =
    err "SL0602" range $"quantile %s{bucket} is outside 1..%s{bins}" None

// SL07xx: the strategy against the data folder

/// SL0701: a dataset the data folder's catalogue does not define
let unknownDataset range (name: string) (catalogue: string) suggestion =
    err
        "SL0701"
        range
        $"no dataset '%s{name}' in %s{catalogue}"
        (didYouMean suggestion
         |> Option.orElse (Some "strategylab data list shows the datasets; --no-data skips this check"))

/// SL0702: a column the dataset does not have
let missingColumn range (dataset: string) (column: string) (columns: string seq) =
    err
        "SL0702"
        range
        $"dataset '%s{dataset}' has no column '%s{column}'"
        (Some("it has " + System.String.Join(", ", columns)))

/// SL0703: a symbol of the universe the dataset does not have
let missingSymbol range (dataset: string) (symbol: string) suggestion =
    err "SL0703" range $"dataset '%s{dataset}' has no symbol '%s{symbol}'" (didYouMean suggestion)

/// SL0704: a bar interval the dataset cannot give
let barNotAvailable range (bar: string) (dataset: string) (reason: string) =
    err "SL0704" range $"dataset '%s{dataset}' cannot give %s{bar} bars: %s{reason}" None

/// SL0705: a dataset whose files cannot be read to check the strategy against them
let datasetNotReadable range (dataset: string) (reason: string) =
    err "SL0705" range $"cannot read dataset '%s{dataset}': %s{reason}" (Some "--no-data skips this check")
