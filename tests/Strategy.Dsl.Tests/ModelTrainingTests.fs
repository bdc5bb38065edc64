/// Models trained walk-forward from compiled plans: no row of the future reaches a prediction, a
/// known rule is learned, fold models are stored and reused, and fitted ensembles pick the good member
module StrategyLab.Strategy.Dsl.Tests.ModelTrainingTests

open System
open System.IO
open Xunit
open StrategyLab.Runtime.Data
open StrategyLab.Runtime.Evaluation
open StrategyLab.Runtime.Runs
open StrategyLab.Runtime.Models.Training
open StrategyLab.Runtime.Plan
open StrategyLab.Strategy.Dsl.Tests.Support

let private panelOf (bars: int) (assets: int) (o: float array) h l (c: float array) v =
    new Panel(
        "synthetic",
        Interval.Parse "1h",
        Collections.Immutable.ImmutableArray.CreateRange(Array.init assets (fun a -> $"A%d{a}")),
        Collections.Immutable.ImmutableArray.Create<string>([| "open"; "high"; "low"; "close"; "volume" |]),
        new ArrayColumnStore(Array.init bars (fun t -> int64 t * 3_600_000L), [| o; h; l; c; v |])
    )

/// Random walks with gaps (an asset lists late and misses 5% of its bars)
let private randomPanel (bars: int) (assets: int) (seed: int) =
    let random = Random seed
    let n = bars * assets

    let o, h, l, c, v =
        Array.create n nan, Array.create n nan, Array.create n nan, Array.create n nan, Array.create n nan

    for a in 0 .. assets - 1 do
        let first = random.Next(0, bars / 5)
        let mutable price = 100.0

        for t in first .. bars - 1 do
            let next = price * (1.0 + (random.NextDouble() - 0.5) * 0.04)

            if random.NextDouble() >= 0.05 then
                let i = t * assets + a
                o[i] <- price
                c[i] <- next
                h[i] <- max price next * 1.002
                l[i] <- min price next * 0.998
                v[i] <- random.NextDouble() * 1000.0

            price <- next

    panelOf bars assets o h l c v

/// Each bar's return is known from the bar before: close[t + 1] = close[t] · (1 + 0.01 · (volume[t] − 0.5));
/// every bar opens at the previous close
let private rulePanel (bars: int) (assets: int) =
    let random = Random 11
    let n = bars * assets
    let c = Array.zeroCreate n
    let v = Array.init n (fun _ -> random.NextDouble())

    for a in 0 .. assets - 1 do
        c[a] <- 100.0

        for t in 1 .. bars - 1 do
            let i = t * assets + a
            let previous = (t - 1) * assets + a
            c[i] <- c[previous] * (1.0 + 0.01 * (v[previous] - 0.5))

    let o = Array.init n (fun i -> if i < assets then c[i] else c[i - assets])
    panelOf bars assets o (Array.map2 max o c) (Array.map2 min o c) c v

let private strategy (body: string) =
    compileOk (
        "strategy t \"test\"\ndata synthetic\nbar 1h\n"
        + body
        + "\nportfolio long top 1 by s, short bottom 1 by s\n"
    )

let private train (plan: StrategyPlan) (panel: Panel) (store: ModelStore option) (retrain: bool) =
    StrategyModels.Train(plan, panel, plan.DefaultParameters(), Option.toObj store, retrain)

/// A scratch folder deleted at dispose
type private Scratch() =
    let path =
        Path.Combine(Path.GetTempPath(), "strategylab-models-" + Guid.NewGuid().ToString "N")

    member _.Path = path

    interface IDisposable with
        member _.Dispose() =
            if Directory.Exists path then
                Directory.Delete(path, true)

let private twoModels =
    strategy
        """
label next = forward_return(close, 2)
label up = xs_percentile(forward_return(close, 2)) > 0.5
model lin = linear(inputs: [return(close, 1), return(close, 5), volume])
    learn next
    train walk_forward(train: 100, test: 30, purge: 1)
model trees = gbdt(inputs: [return(close, 1), rsi(close, 14), volume], objective: "binary", rounds: 20, leaves: 4, min_leaf: 5)
    learn up
    train expanding(train: 100, test: 30, purge: 1, embargo: 2, validation: 20)
signal s = lin + trees
"""

[<Fact>]
let ``a label's horizon sums the forward operators along its deepest path`` () =
    let plan =
        strategy
            """
label a = xs_percentile(forward_return(close, 3)) > 0.5
label b = forward(forward_mean(close, 2), 4) > mean(forward_return(close, 1), 5)
model ma = linear(inputs: [volume])
    learn a
    train walk_forward(train: 10, test: 5)
model mb = linear(inputs: [volume])
    learn b
    train walk_forward(train: 10, test: 5)
signal s = ma + mb
"""

    let horizon (m: ModelSpec) =
        Folds.LabelHorizon(plan, m.Label.Value, plan.DefaultParameters())

    Assert.Equal(3, horizon plan.Models[0])
    Assert.Equal(6, horizon plan.Models[1])

[<Fact>]
let ``predictions up to a bar are the same when the data ends right after it`` () =
    use whole = randomPanel 400 6 3
    let full = train twoModels whole None false
    let a = whole.AssetCount
    // 163 is the first bar of a test period of both models (tests start at 100 + 1 + 2 and every 30 bars),
    // where a label read one bar too far would change the fold's rows; 250 is inside a test period
    for cutAt in [ 163; 250 ] do
        use cut = whole.Slice(0, cutAt + 1)
        let part = train twoModels cut None false

        for model in [ "lin"; "trees" ] do
            let f = full.Predictions[model]
            let p = part.Predictions[model]

            let finite =
                Seq.init ((cutAt + 1) * a) (fun i -> p[i])
                |> Seq.filter Double.IsFinite
                |> Seq.length

            Assert.True(finite > 200, $"{model}: only {finite} predictions to compare")

            for i in 0 .. (cutAt + 1) * a - 1 do
                Assert.True(
                    BitConverter.DoubleToInt64Bits f[i] = BitConverter.DoubleToInt64Bits p[i],
                    $"{model} bar {i / a} asset {i % a}: {f[i]} with all the data, {p[i]} with data to bar {cutAt}"
                )

[<Fact>]
let ``a linear model learns a known rule and predicts it out of sample`` () =
    use panel = rulePanel 300 4

    let plan =
        strategy
            """
label next = forward_return(close, 1)
model lin = linear(inputs: [volume], l2: 0)
    learn next
    train walk_forward(train: 100, test: 50, purge: 1)
signal s = lin
"""

    let result = train plan panel None false
    let p = result.Predictions["lin"]
    let v = panel.Column("volume").ToArray()
    // first test bar: train 100 + purge 1 + horizon 1
    let first = 102

    for i in 0 .. p.Length - 1 do
        if i / 4 < first then
            Assert.True(Double.IsNaN p[i], $"bar {i / 4} predicted before the first test period")
        else
            Assert.Equal(0.01 * v[i] - 0.005, p[i], 10)

    Assert.Equal(4, result.Folds.Count)
    // predicted bars 102 … 299; the label of the last bar is unknown: 197 bars of 4 assets
    let score = Assert.Single result.Scores
    Assert.Equal(("lin", "mse", 788), (score.Model, score.Measure, score.Rows))
    Assert.True(score.Value < 1e-20, $"out-of-sample mse {score.Value}")

[<Fact>]
let ``a second run reads every fold from the store and predicts the same`` () =
    use panel = randomPanel 300 5 8
    use scratch = new Scratch()
    let store = ModelStore(scratch.Path)
    let first = train twoModels panel (Some store) false
    Assert.All(first.Folds, fun f -> Assert.False f.Reused)
    Assert.NotEmpty first.Folds
    let second = train twoModels panel (Some store) false
    Assert.All(second.Folds, fun f -> Assert.True(f.Reused, $"{f.Model} fold {f.Fold}"))
    Assert.Empty second.Notes

    for model in [ "lin"; "trees" ] do
        Assert.Equal<float>(first.Predictions[model], second.Predictions[model])

    let again = train twoModels panel (Some store) true
    Assert.All(again.Folds, fun f -> Assert.False f.Reused)

    // trained again from the same seeds: the same predictions, bit for bit
    for model in [ "lin"; "trees" ] do
        Assert.Equal<float>(first.Predictions[model], again.Predictions[model])

[<Fact>]
let ``a corrupt, truncated or foreign fold file is refused with its reason and retrained`` () =
    use panel = randomPanel 300 5 8
    use scratch = new Scratch()
    let store = ModelStore(scratch.Path)
    let first = train twoModels panel (Some store) false
    let folder = Path.Combine(scratch.Path, twoModels.ContentHash().Substring(0, 16))

    let file model fold =
        Path.Combine(folder, model, $"fold-%d{fold}.slm")
    // a flipped byte inside lin's fold 1, and trees' fold 0 cut short
    let bytes = File.ReadAllBytes(file "lin" 1)
    bytes[bytes.Length - 20] <- bytes[bytes.Length - 20] ^^^ 0xFFuy
    File.WriteAllBytes(file "lin" 1, bytes)
    let trees = File.ReadAllBytes(file "trees" 0)
    File.WriteAllBytes(file "trees" 0, trees[.. trees.Length - 30])
    let second = train twoModels panel (Some store) false

    let reused =
        second.Folds
        |> Seq.filter (fun f -> not f.Reused)
        |> Seq.map (fun f -> f.Model, f.Fold)
        |> List.ofSeq

    Assert.Equal<(string * int) list>([ "lin", 1; "trees", 0 ], reused)
    Assert.Equal(2, second.Notes.Count)
    Assert.Contains("model 'lin' fold 1: stored file refused and retrained", second.Notes[0])
    Assert.Contains("checksum", second.Notes[0])
    Assert.Contains("model 'trees' fold 0", second.Notes[1])
    Assert.Contains("truncated", second.Notes[1])

    for model in [ "lin"; "trees" ] do
        Assert.Equal<float>(first.Predictions[model], second.Predictions[model])

    // the files were rewritten: a third run reads them all
    let third = train twoModels panel (Some store) false
    Assert.All(third.Folds, fun f -> Assert.True f.Reused)

    // another plan (k differs) looks in its own folder; a file of this plan put there is refused
    let other =
        compileOk (
            "strategy t \"test\"\ndata synthetic\nbar 1h\n"
            + """
label next = forward_return(close, 2)
label up = xs_percentile(forward_return(close, 2)) > 0.5
model lin = linear(inputs: [return(close, 1), return(close, 5), volume])
    learn next
    train walk_forward(train: 100, test: 30, purge: 1)
model trees = gbdt(inputs: [return(close, 1), rsi(close, 14), volume], objective: "binary", rounds: 20, leaves: 4, min_leaf: 5)
    learn up
    train expanding(train: 100, test: 30, purge: 1, embargo: 2, validation: 20)
signal s = lin + trees
portfolio long top 2 by s, short bottom 2 by s
"""
        )

    let otherFolder = Path.Combine(scratch.Path, other.ContentHash().Substring(0, 16))
    Directory.CreateDirectory(Path.Combine(otherFolder, "lin")) |> ignore
    File.Copy(file "lin" 0, Path.Combine(otherFolder, "lin", "fold-0.slm"))
    let foreign = train other panel (Some store) false

    Assert.Contains(
        foreign.Notes,
        fun n -> n.Contains "model 'lin' fold 0" && n.Contains "was trained for another plan"
    )

    Assert.Equal<float>(first.Predictions["lin"], foreign.Predictions["lin"])

[<Fact>]
let ``a fitted ensemble gives the member that knows the rule all the weight`` () =
    use panel = rulePanel 300 4

    let plan =
        strategy
            """
label next = forward_return(close, 1)
model good = linear(inputs: [volume], l2: 0)
    learn next
    train walk_forward(train: 100, test: 50, purge: 1)
model weak = linear(inputs: [return(close, 3)])
    learn next
    train walk_forward(train: 100, test: 50, purge: 1)
model blend = ensemble(members: [good, weak], fit_weights: true)
    learn next
    train walk_forward(train: 120, test: 40, purge: 1, validation: 30)
signal s = blend
"""

    let result = train plan panel None false
    let p = result.Predictions["blend"]
    let v = panel.Column("volume").ToArray()
    let predicted = [ 0 .. p.Length - 1 ] |> List.filter (fun i -> Double.IsFinite p[i])
    // tests start at 120 + 1 + 1 and run to the end
    Assert.Equal((300 - 122) * 4, predicted.Length)

    for i in predicted do
        Assert.Equal(0.01 * v[i] - 0.005, p[i], 8)

    Assert.All(result.Folds |> Seq.filter (fun f -> f.Model = "blend"), fun f -> Assert.Contains("good 1,", f.Metric))

[<Fact>]
let ``a fixed-weight ensemble is the weighted average of its members`` () =
    use panel = rulePanel 200 3

    let plan =
        strategy
            """
label next = forward_return(close, 1)
model a = linear(inputs: [volume], l2: 0)
    learn next
    train walk_forward(train: 50, test: 50)
model b = linear(inputs: [return(close, 2)])
    learn next
    train walk_forward(train: 50, test: 50)
model mix = ensemble(members: [a, b], weights: [1, 3])
signal s = mix
"""

    let r = train plan panel None false
    let a, b, mix = r.Predictions["a"], r.Predictions["b"], r.Predictions["mix"]

    for i in 0 .. mix.Length - 1 do
        if Double.IsNaN a[i] || Double.IsNaN b[i] then
            Assert.True(Double.IsNaN mix[i])
        else
            Assert.Equal((a[i] + 3.0 * b[i]) / 4.0, mix[i], 12)

[<Fact>]
let ``an lstm trains from the plan, deterministically, and reads back from the store unchanged`` () =
    use panel = rulePanel 160 3
    use scratch = new Scratch()

    let plan =
        strategy
            """
label next = forward_return(close, 1)
model net = lstm(inputs: [volume, return(close, 1)], window: 4, hidden: 4, epochs: 2, batch: 16, ensemble: 2)
    learn next
    train walk_forward(train: 80, test: 40)
signal s = net
"""

    let store = ModelStore(scratch.Path)
    let first = train plan panel (Some store) false
    let second = train plan panel None false
    let stored = train plan panel (Some store) false
    let p = first.Predictions["net"]
    Assert.Equal((160 - 81) * 3, p |> Array.filter Double.IsFinite |> Array.length)
    Assert.Equal<float>(p, second.Predictions["net"])
    Assert.All(stored.Folds, fun f -> Assert.True f.Reused)
    Assert.Equal<float>(p, stored.Predictions["net"])

[<Fact>]
let ``a backtest of a plan with a model runs on the trained predictions`` () =
    use panel = rulePanel 300 4

    let plan =
        compileOk
            """
strategy t "test"
data synthetic
bar 1h
label next = forward_return(close, 1)
model lin = linear(inputs: [volume], l2: 0)
    learn next
    train walk_forward(train: 100, test: 50, purge: 1)
signal s = lin
portfolio long top 1 by s, short bottom 1 by s
costs fee 0 bps
"""

    let models = train plan panel None false

    use run = PreparedRun.Prepare(plan, panel)
    let result = run.Weights(run.Defaults, models = models)
    // the model knows each next bar's return (from the fill at the next open, the previous close, to
    // the following one), so long the best and short the worst gains on every bar it holds, free of costs
    Assert.True(result.Result.Returns |> Seq.forall (fun r -> r >= 0.0), "a losing bar")
    Assert.True(result.Metrics.TotalReturn > 0.0, $"total return {result.Metrics.TotalReturn}")

    let e = Assert.Throws<PlanException>(fun () -> run.Weights run.Defaults |> ignore)

    Assert.Contains("model 'lin' has no predictions", e.Message)

[<Fact>]
let ``models are not trained on candles coarser than the strategy's bar`` () =
    use panel = rulePanel 200 3

    let plan =
        compileOk
            """
strategy t "test"
data synthetic
bar 1m
label next = forward_return(close, 1)
model lin = linear(inputs: [volume])
    learn next
    train walk_forward(train: 50, test: 50)
signal s = lin
portfolio long top 1 by s
"""

    let e =
        Assert.Throws<PlanException>(fun () -> train plan panel None false |> ignore)

    Assert.Equal(
        "strategy 't' on dataset 'synthetic': 1m bars are finer than the data's 1h candles; candles can only be aggregated into coarser bars",
        e.Message
    )

[<Fact>]
let ``an input switched off by its flag is left out`` () =
    use panel = rulePanel 200 3

    let plan =
        strategy
            """
param use_volume = true
label next = forward_return(close, 1)
model lin = linear(inputs: [volume when use_volume], l2: 0)
    learn next
    train walk_forward(train: 50, test: 50)
signal s = lin
"""

    let on = train plan panel None false
    Assert.Contains(on.Predictions["lin"], fun p -> Double.IsFinite p)
    let off = Collections.Generic.Dictionary(plan.DefaultParameters())
    off["use_volume"] <- ScalarValue.Of 0.0

    let e =
        Assert.Throws<PlanException>(fun () -> StrategyModels.Train(plan, panel, off) |> ignore)

    Assert.Equal("model 'lin': every input is disabled by its flag under these parameter values", e.Message)

[<Fact>]
let ``progress reports every epoch of every member and a share of the work that only grows`` () =
    use panel = rulePanel 160 3

    let plan =
        strategy
            """
label next = forward_return(close, 1)
model net = lstm(inputs: [volume], window: 3, hidden: 3, epochs: 2, batch: 32, ensemble: 3)
    learn next
    train walk_forward(train: 80, test: 40)
signal s = net
"""

    let reports = Collections.Generic.List<TrainingProgress>()

    let progress =
        { new IProgress<TrainingProgress> with
            member _.Report p = lock reports (fun () -> reports.Add p)
        }

    StrategyModels.Train(plan, panel, plan.DefaultParameters(), progress = progress)
    |> ignore

    // 2 folds (tests from bar 81 and 121), each 3 members × 2 epochs, and one report per finished fold
    let epochs = reports |> Seq.choose (fun r -> Option.ofObj r.Epoch) |> List.ofSeq
    Assert.Equal(2 * 3 * 2 + 2, reports.Count)
    Assert.All(epochs, fun e -> Assert.InRange(e.Epoch, 1, 2))

    Assert.Equal<float list>(
        reports |> Seq.map (fun r -> r.Fraction) |> Seq.sort |> List.ofSeq,
        reports |> Seq.map (fun r -> r.Fraction) |> List.ofSeq
    )

    Assert.Equal(1.0, reports[reports.Count - 1].Fraction)
    Assert.Equal(0.5, reports |> Seq.find (fun r -> isNull r.Epoch) |> fun r -> r.Fraction)
