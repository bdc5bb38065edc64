using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Samplers;

namespace StrategyLab.Bench;

/// <summary>
/// The sampler benchmark of ../shared/peers/tpe_optuna.py: Branin, Hartmann-6 and Rosenbrock-4 on the
/// peer's domains, minimised by univariate TPE, multivariate TPE, random search and CMA-ES, 100 trials per
/// run, seeds 0..19 (Random(seed) drives the run). Reports, over the seeds, the median / 25 % / 75 %
/// (numpy's linear quantiles) of the best value after 25, 50 and 100 trials, the milliseconds per trial
/// (proposal and bookkeeping; the functions cost microseconds) and those of trials 91..100; then one run
/// of 1,000 trials per function with each TPE mode, timing trials 901..1,000 in wall and CPU time.
/// Usage: <c>StrategyLab.Bench tpe [--seeds N] [--seed-offset K] [--trials N] [--samplers tpe,tpe_multivar,random,cmaes]
/// [--large N] [--functions branin,hartmann6,rosenbrock4] [--candidates N]</c>; <c>--seed-offset</c> runs seeds
/// K..K+N−1, for tuning on seeds other than the reported ones; samplers <c>tpe_exact</c> and <c>tpe_exact_multivar</c>
/// are TPE with exact kernel densities (<see cref="TpeOptions.WeighKernelsByBandwidth"/> off); <c>--candidates</c>
/// sets TPE's number of candidates; <c>--good-fraction</c>, <c>--min-bandwidth</c>, <c>--clip-exponent</c>,
/// <c>--endpoints on|off</c>, <c>--by-bandwidth on|off</c>, <c>--weighting fading|ei</c> and
/// <c>--multivariate-bandwidth scott|gaps</c> set the other <see cref="TpeOptions"/>; <c>--large 0</c> skips the 1,000-trial timing.
/// </summary>
internal static class SamplerBenchmark
{
    private static readonly double[,] HartmannA =
        { { 10, 3, 17, 3.5, 1.7, 8 }, { 0.05, 10, 17, 0.1, 8, 14 }, { 3, 3.5, 1.7, 10, 17, 8 }, { 17, 8, 0.05, 10, 0.1, 14 } };

    private static readonly double[,] HartmannP =
    {
        { 1312, 1696, 5569, 124, 8283, 5886 }, { 2329, 4135, 8307, 3736, 1004, 9991 },
        { 2348, 1451, 3522, 2883, 3047, 6650 }, { 4047, 8828, 8732, 5743, 1091, 381 },
    };

    private static readonly double[] HartmannAlpha = [1.0, 1.2, 3.0, 3.2];

    private sealed record TestFunction(string Name, Func<double[], double> F, (double Low, double High)[] Bounds, double Optimum);

    private static readonly TestFunction[] Functions =
    [
        new("branin", Branin, [(-5, 10), (0, 15)], 0.397887),
        new("hartmann6", Hartmann6, [.. Enumerable.Repeat((0.0, 1.0), 6)], -3.32237),
        new("rosenbrock4", Rosenbrock, [.. Enumerable.Repeat((-5.0, 10.0), 4)], 0),
    ];

    public static void Run(string[] args)
    {
        int seeds = 20, offset = 0, trials = 100, large = 1000;
        var tpe = new TpeOptions();
        var samplers = "tpe,tpe_multivar,random,cmaes".Split(',');
        var functions = Functions.Select(f => f.Name).ToArray();
        for (var i = 1; i < args.Length - 1; i += 2)
        {
            switch (args[i])
            {
                case "--seeds": seeds = Parse(args[i + 1]); break;
                case "--seed-offset": offset = Parse(args[i + 1]); break;
                case "--trials": trials = Parse(args[i + 1]); break;
                case "--large": large = Parse(args[i + 1]); break;
                case "--samplers": samplers = args[i + 1].Split(','); break;
                case "--functions": functions = args[i + 1].Split(','); break;
                case "--candidates": tpe = tpe with { Candidates = Parse(args[i + 1]) }; break;
                case "--good-fraction": tpe = tpe with { GoodFraction = ParseReal(args[i + 1]) }; break;
                case "--min-bandwidth": tpe = tpe with { MinBandwidthFactor = ParseReal(args[i + 1]) }; break;
                case "--clip-exponent": tpe = tpe with { MagicClipExponent = ParseReal(args[i + 1]) }; break;
                case "--endpoints": tpe = tpe with { ConsiderEndpoints = ParseSwitch(args[i + 1]) }; break;
                case "--by-bandwidth": tpe = tpe with { WeighKernelsByBandwidth = ParseSwitch(args[i + 1]) }; break;
                case "--weighting": tpe = tpe with { GoodWeighting = ParseWeighting(args[i + 1]) }; break;
                case "--multivariate-bandwidth": tpe = tpe with { MultivariateBandwidth = ParseBandwidth(args[i + 1]) }; break;
                default: throw new ArgumentException($"unknown option '{args[i]}'; expected --seeds, --seed-offset, --trials, --large, --samplers, --functions, --candidates, --good-fraction, --min-bandwidth, --clip-exponent, --endpoints, --by-bandwidth, --weighting or --multivariate-bandwidth");
            }
        }
        Console.WriteLine($"tpe: {trials} trials × seeds {offset}..{offset + seeds - 1}; best value after 25 / 50 / {trials} trials as median [25 %, 75 %] over the seeds");
        Console.WriteLine($"{"function",-12} {"sampler",-13} {"after 25",-28} {"after 50",-28} {"after " + trials,-28} {"ms/trial",8} {"last 10",8}");
        foreach (var f in Functions.Where(f => functions.Contains(f.Name)))
            foreach (var s in samplers)
            {
                var bests = new List<double[]>();
                var wall = new List<double>();
                var last10 = new List<double>();
                for (var seed = offset; seed < offset + seeds; seed++)
                {
                    var (best, perTrial, _) = Study(f, Sampler(s, tpe), trials, seed);
                    bests.Add(best);
                    wall.Add(perTrial.Sum() / trials);
                    last10.Add(perTrial.TakeLast(10).Average());
                }
                string At(int n) => Quartiles(bests.Select(b => b[Math.Min(n, trials) - 1]));
                Console.WriteLine($"{f.Name,-12} {s,-13} {At(25),-28} {At(50),-28} {At(trials),-28} {wall.Average() * 1e3,8:F3} {last10.Average() * 1e3,8:F3}");
            }
        if (large <= 0)
            return;
        Console.WriteLine($"one run of {large:N0} trials (seed 0): wall ms per trial over all trials and over the last 100, CPU ms per trial over the last 100; best value");
        foreach (var f in Functions.Where(f => functions.Contains(f.Name)))
            foreach (var s in new[] { "tpe", "tpe_multivar" })
            {
                var (best, perTrial, cpu) = Study(f, Sampler(s, tpe), large, 0);
                Console.WriteLine($"{f.Name,-12} {s,-13} all {perTrial.Average() * 1e3,7:F3}   last 100 {perTrial.TakeLast(100).Average() * 1e3,7:F3}   cpu last 100 {cpu * 1e3,7:F3}   best {best[^1]:G6}");
            }
    }

    private static ISampler Sampler(string name, TpeOptions tpe) => name switch
    {
        "tpe" => new TpeSampler(tpe),
        "tpe_multivar" => new TpeSampler(tpe with { Multivariate = true }),
        "random" => new RandomSampler(),
        "tpe_exact" => new TpeSampler(tpe with { WeighKernelsByBandwidth = false }),
        "tpe_exact_multivar" => new TpeSampler(tpe with { Multivariate = true, WeighKernelsByBandwidth = false }),
        "cmaes" => new CmaEsSampler(),
        _ => throw new ArgumentException($"unknown sampler '{name}'; expected tpe, tpe_multivar, random or cmaes"),
    };

    // one study: the running best after each trial, each trial's seconds, and the process's CPU seconds
    // over the last 100 trials (less sensitive than wall time to other work on a shared machine)
    private static (double[] Best, double[] Seconds, double CpuLast100) Study(TestFunction f, ISampler sampler, int trials, int seed)
    {
        var cpuStart = TimeSpan.Zero;
        var space = new SearchSpace([.. f.Bounds.Select((b, i) => new SearchParameter($"x{i}", new FloatDistribution(b.Low, b.High)))]);
        Direction[] directions = [Direction.Minimize];
        var random = new Random(seed);
        var done = new List<FrozenTrial>(trials);
        var best = new double[trials];
        var seconds = new double[trials];
        var x = new double[f.Bounds.Length];
        var clock = new Stopwatch();
        for (var n = 0; n < trials; n++)
        {
            if (n == Math.Max(trials - 100, 0))
                cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            clock.Restart();
            var proposed = sampler.Propose(space, directions, done, random);
            for (var i = 0; i < x.Length; i++)
                x[i] = proposed[$"x{i}"].Number;
            var value = f.F(x);
            done.Add(new FrozenTrial(n, n, TrialState.Complete, proposed.ToImmutableSortedDictionary(StringComparer.Ordinal), [value],
                ImmutableSortedDictionary<int, double>.Empty, null, null, ImmutableSortedDictionary<string, string>.Empty));
            seconds[n] = clock.Elapsed.TotalSeconds;
            best[n] = n == 0 ? value : Math.Min(best[n - 1], value);
        }
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds / Math.Min(trials, 100);
        return (best, seconds, cpu);
    }

    private static string Quartiles(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return string.Create(CultureInfo.InvariantCulture, $"{Quantile(v, 0.5):G4} [{Quantile(v, 0.25):G4}, {Quantile(v, 0.75):G4}]");
    }

    // numpy's default ('linear') quantile of sorted values
    private static double Quantile(double[] sorted, double q)
    {
        var position = (sorted.Length - 1) * q;
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }

    private static int Parse(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    private static double ParseReal(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    private static bool ParseSwitch(string text) => text switch
    {
        "on" => true,
        "off" => false,
        _ => throw new ArgumentException($"expected on or off, not '{text}'"),
    };

    private static GoodTrialWeighting ParseWeighting(string text) => text switch
    {
        "fading" => GoodTrialWeighting.Fading,
        "ei" => GoodTrialWeighting.ExpectedImprovement,
        _ => throw new ArgumentException($"expected weighting fading or ei, not '{text}'"),
    };

    private static MultivariateBandwidth ParseBandwidth(string text) => text switch
    {
        "scott" => MultivariateBandwidth.Scott,
        "gaps" => MultivariateBandwidth.NeighbourGaps,
        _ => throw new ArgumentException($"expected multivariate bandwidth scott or gaps, not '{text}'"),
    };

    private static double Branin(double[] x)
    {
        double b = 5.1 / (4 * Math.PI * Math.PI), c = 5 / Math.PI, t = 1 / (8 * Math.PI);
        var a = x[1] - (b * x[0] * x[0]) + (c * x[0]) - 6;
        return (a * a) + (10 * (1 - t) * Math.Cos(x[0])) + 10;
    }

    private static double Hartmann6(double[] x)
    {
        double s = 0;
        for (var i = 0; i < 4; i++)
        {
            double inner = 0;
            for (var j = 0; j < 6; j++)
            {
                var d = x[j] - (HartmannP[i, j] * 1e-4);
                inner += HartmannA[i, j] * d * d;
            }
            s += HartmannAlpha[i] * Math.Exp(-inner);
        }
        return -s;
    }

    private static double Rosenbrock(double[] x)
    {
        double s = 0;
        for (var i = 0; i < x.Length - 1; i++)
        {
            double a = x[i + 1] - (x[i] * x[i]), b = x[i] - 1;
            s += (100 * a * a) + (b * b);
        }
        return s;
    }
}
