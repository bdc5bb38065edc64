using System.Globalization;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Storage;
using StrategyLab.StudyWorker;

// StudyWorker --storage URL --study NAME --worker NAME --seed S --trials N
//             [--steps K] [--heartbeat-ms MS] [--stale-ms MS] [--stall-at I] [--drain] [--drain-until T]
// Runs N new trials of the fake study, and before each any waiting trial (a retry) it finds: each
// sends heartbeats, reports K intermediate values and finishes with the loss of its parameters. Prints
// "finished NUMBER VALUE" per trial ("lost NUMBER" for one another worker failed while it ran: a
// heartbeat that looked expired); with --stall-at I it prints "stalled NUMBER" after the first
// report of its I-th trial and hangs there (heartbeats go on) until it is killed. With --drain it
// then keeps failing stale trials and running retries until no trial of the study runs or waits
// (and, with --drain-until T, at least T trials have finished: a worker between two trials has none
// running, so the count keeps a draining worker from leaving before a slower one is killed).
var options = Options.Parse(args);
try
{
    using var storage = StudyStorage.Open(options.Storage);
    var study = storage.OpenOrCreate(FakeStudy.Definition(options.Study));
    var worker = new TrialRunner(storage, study.Id, options);
    for (var i = 0; i < options.Trials; i++)
        worker.RunNext(i);
    if (options.Drain || options.DrainUntil > 0)
        worker.Drain(options.DrainUntil);
    return 0;
}
catch (StudyStorageException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e.ExitCode;
}

internal sealed record Options(string Storage, string Study, string Worker, int Seed, int Trials, int Steps, int HeartbeatMs, int StaleMs, int StallAt, bool Drain, int DrainUntil)
{
    public static Options Parse(string[] args)
    {
        string Value(string name, string? fallback = null)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback ?? throw new ArgumentException($"missing {name}");
        }

        int Number(string name, int fallback) => int.Parse(Value(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

        return new(Value("--storage"), Value("--study"), Value("--worker"), Number("--seed", 0), Number("--trials", 1), Number("--steps", 3),
            Number("--heartbeat-ms", 100), Number("--stale-ms", 2000), Number("--stall-at", -1), args.Contains("--drain"), Number("--drain-until", 0));
    }
}

internal sealed class TrialRunner(IStudyStorage storage, long studyId, Options options)
{
    // retries first, as a real worker takes them, but on top of its own N: how many trials a test
    // sees then does not depend on which worker happened to find a retry
    public void RunNext(int index)
    {
        storage.FailStale(studyId, TimeSpan.FromMilliseconds(options.StaleMs));
        while (storage.ClaimWaiting(studyId, options.Worker) is { } retry)
            Run(retry, stall: false);
        Run(storage.StartTrial(studyId, FakeStudy.Parameters(options.Seed, index), options.Worker), stall: index == options.StallAt);
    }

    public void Drain(int atLeast)
    {
        while (true)
        {
            storage.FailStale(studyId, TimeSpan.FromMilliseconds(options.StaleMs));
            if (storage.ClaimWaiting(studyId, options.Worker) is { } retry)
            {
                Run(retry, stall: false);
                continue;
            }
            var trials = storage.Trials(studyId);
            if (trials.All(t => t.IsFinished) && trials.Count >= atLeast)
                return;
            Thread.Sleep(20);
        }
    }

    // a trial failed behind this worker's back (its heartbeat looked expired to another) is given
    // up, as a real worker gives it up: it prints "lost NUMBER" and goes on with the next
    private void Run(FrozenTrial trial, bool stall)
    {
        try
        {
            RunTrial(trial, stall);
        }
        catch (StudyStorageException e) when (e.Fault == StudyStorageFault.TrialNotRunning)
        {
            Console.WriteLine($"lost {trial.Number}");
        }
    }

    private void RunTrial(FrozenTrial trial, bool stall)
    {
        using var heartbeat = new TrialHeartbeat(storage, trial.Id, TimeSpan.FromMilliseconds(options.HeartbeatMs));
        var loss = FakeStudy.Loss(trial.Params);
        for (var step = 0; step < options.Steps; step++)
        {
            storage.Report(trial.Id, step, loss * (step + 1) / options.Steps);
            if (stall && step == 0)
            {
                Console.WriteLine($"stalled {trial.Number}");
                Console.Out.Flush();
                Thread.Sleep(Timeout.Infinite);
            }
        }
        storage.Finish(trial.Id, TrialState.Complete, [loss], new Dictionary<string, string>());
        Console.WriteLine(FormattableString.Invariant($"finished {trial.Number} {loss:R}"));
        Console.Out.Flush();
    }
}
