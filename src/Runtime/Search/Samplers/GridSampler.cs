using System.Text;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search.Samplers;

/// <summary>
/// Proposes every combination of a space's values once: each choice of a categorical, each grid point
/// of an int or a stepped float (a continuous float has no grid and is refused). A conditional parameter
/// takes its values only in the combinations where it is active. Points go in lexicographic order (the
/// first parameter varies slowest, values in increasing order or the order of the choices); a point is
/// taken once any trial holds it, whatever that trial's state, so parallel workers and retries of failed
/// trials move on to the next point. Proposing when every point is taken throws
/// <see cref="GridExhaustedException"/>; <see cref="IsExhausted"/> says so beforehand.
/// </summary>
/// <remarks>Each proposal walks the grid past the points already taken: its cost grows with the trials.</remarks>
public sealed class GridSampler : ISampler
{
    /// <inheritdoc />
    public IReadOnlyDictionary<string, ScalarValue> Propose(SearchSpace space, IReadOnlyList<Direction> directions, IReadOnlyList<FrozenTrial> trials, Random random)
    {
        var scales = GridScales(space);
        var taken = Taken(scales, trials);
        foreach (var (point, key) in Points(scales))
            if (!taken.Contains(key))
                return new Dictionary<string, ScalarValue>(point, StringComparer.Ordinal);
        throw new GridExhaustedException($"every one of the {Size(space)} grid points is taken by a trial");
    }

    /// <summary>The number of grid points of <paramref name="space"/>.</summary>
    public static long Size(SearchSpace space) => Count(GridScales(space));

    /// <summary>The number of grid points no trial holds yet.</summary>
    public static long Remaining(SearchSpace space, IReadOnlyList<FrozenTrial> trials)
    {
        var scales = GridScales(space);
        return Count(scales) - Taken(scales, trials).Count;
    }

    // the number of points, branching only on the values of parameters that later conditions read
    private static long Count(ParameterScale[] scales)
    {
        var read = scales.Where(s => s.Parameter.When is not null).Select(s => s.Parameter.When!.Parameter).ToHashSet(StringComparer.Ordinal);
        var chosen = new Dictionary<string, ScalarValue>(StringComparer.Ordinal);
        return Walk(0);

        long Walk(int depth)
        {
            if (depth == scales.Length)
                return 1;
            var s = scales[depth];
            if (!SearchSpace.IsActive(s.Parameter, chosen))
                return Walk(depth + 1);
            var points = s.GridPoints!.Value;
            if (!read.Contains(s.Parameter.Name))
                return checked(points * Walk(depth + 1));
            long total = 0;
            for (long i = 0; i < points; i++)
            {
                chosen[s.Parameter.Name] = s.GridPoint(i);
                total = checked(total + Walk(depth + 1));
            }
            chosen.Remove(s.Parameter.Name);
            return total;
        }
    }

    /// <summary>True when every grid point is held by a trial.</summary>
    public static bool IsExhausted(SearchSpace space, IReadOnlyList<FrozenTrial> trials) => Remaining(space, trials) == 0;

    private static ParameterScale[] GridScales(SearchSpace space)
    {
        var scales = ParameterScale.Of(space);
        foreach (var s in scales)
            if (s.GridPoints is null)
                throw new ArgumentException($"parameter '{s.Parameter.Name}': a grid needs int, categorical or stepped float parameters; give this float a step");
        return scales;
    }

    // the keys of the grid points the trials hold (a trial off the grid, e.g. one given by hand, holds none)
    private static HashSet<string> Taken(ParameterScale[] scales, IReadOnlyList<FrozenTrial> trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var key = new StringBuilder();
        var active = new Dictionary<string, ScalarValue>(StringComparer.Ordinal);
        foreach (var t in trials)
        {
            key.Clear();
            active.Clear();
            var onGrid = true;
            foreach (var s in scales)
            {
                var isActive = SearchSpace.IsActive(s.Parameter, active);
                var has = t.Params.TryGetValue(s.Parameter.Name, out var v);
                if (isActive != has)
                {
                    onGrid = false;
                    break;
                }
                long index = -1;
                if (has)
                {
                    index = s.GridIndex(v);
                    if (index < 0)
                    {
                        onGrid = false;
                        break;
                    }
                    active[s.Parameter.Name] = v;
                }
                key.Append(index).Append(',');
            }
            if (onGrid)
                taken.Add(key.ToString());
        }
        return taken;
    }

    // depth first over the parameters: the first varies slowest; an inactive parameter contributes index −1.
    // Each point is yielded as the walk's own dictionary, valid until the walk moves on
    private static IEnumerable<(IReadOnlyDictionary<string, ScalarValue> Point, string Key)> Points(ParameterScale[] scales)
    {
        var indices = new long[scales.Length];
        var chosen = new Dictionary<string, ScalarValue>(StringComparer.Ordinal);
        return Walk(0);

        IEnumerable<(IReadOnlyDictionary<string, ScalarValue>, string)> Walk(int depth)
        {
            if (depth == scales.Length)
            {
                yield return (chosen, string.Join(',', indices) + ",");
                yield break;
            }
            var s = scales[depth];
            if (!SearchSpace.IsActive(s.Parameter, chosen))
            {
                indices[depth] = -1;
                foreach (var p in Walk(depth + 1))
                    yield return p;
                yield break;
            }
            var count = s.GridPoints!.Value;
            for (long i = 0; i < count; i++)
            {
                indices[depth] = i;
                chosen[s.Parameter.Name] = s.GridPoint(i);
                foreach (var p in Walk(depth + 1))
                    yield return p;
            }
            chosen.Remove(s.Parameter.Name);
        }
    }
}

/// <summary>Thrown when a grid search is asked for a point after every point of its grid is taken.</summary>
public sealed class GridExhaustedException : InvalidOperationException
{
    /// <summary>Creates the exception with its one-line message.</summary>
    public GridExhaustedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public GridExhaustedException()
        : base("every grid point is taken by a trial")
    {
    }

    /// <summary>Creates the exception with its message and cause.</summary>
    public GridExhaustedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
