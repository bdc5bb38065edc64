using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StrategyLab.Runtime.Execution;

/// <summary>
/// Whole-row steps of the bar loop, a vector at a time. Each only selects among its inputs (no arithmetic),
/// so it gives the values of the element-by-element loop it replaces, bit for bit.
/// </summary>
internal static class Rows
{
    /// <summary>Sets <paramref name="last"/> to <paramref name="latest"/> where the latest is a price (not NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CarryForward(Span<double> last, ReadOnlySpan<double> latest)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && last.Length >= Vector<double>.Count)
        {
            var l = MemoryMarshal.Cast<double, Vector<double>>(last);
            var n = MemoryMarshal.Cast<double, Vector<double>>(latest[..last.Length]);
            for (var k = 0; k < l.Length; k++)
                l[k] = Vector.ConditionalSelect(Vector.Equals(n[k], n[k]), n[k], l[k]);
            i = l.Length * Vector<double>.Count;
        }
        for (; i < last.Length; i++)
        {
            if (!double.IsNaN(latest[i]))
                last[i] = latest[i];
        }
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="target"/> with NaN as 0 (no target: flat).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ZeroMissing(ReadOnlySpan<double> source, Span<double> target)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && target.Length >= Vector<double>.Count)
        {
            var s = MemoryMarshal.Cast<double, Vector<double>>(source[..target.Length]);
            var t = MemoryMarshal.Cast<double, Vector<double>>(target);
            for (var k = 0; k < t.Length; k++)
                t[k] = Vector.ConditionalSelect(Vector.Equals(s[k], s[k]), s[k], Vector<double>.Zero);
            i = t.Length * Vector<double>.Count;
        }
        for (; i < target.Length; i++)
            target[i] = double.IsNaN(source[i]) ? 0 : source[i];
    }

    /// <summary>Clamps every value (none NaN) to [−<paramref name="bound"/>, <paramref name="bound"/>], as <see cref="Math.Clamp(double, double, double)"/> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Clamp(Span<double> values, double bound)
    {
        var (low, high) = (-bound, bound);
        var i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<double>.Count)
        {
            var v = MemoryMarshal.Cast<double, Vector<double>>(values);
            var (lo, hi) = (new Vector<double>(low), new Vector<double>(high));
            for (var k = 0; k < v.Length; k++)
                v[k] = Vector.ConditionalSelect(Vector.LessThan(v[k], lo), lo, Vector.ConditionalSelect(Vector.GreaterThan(v[k], hi), hi, v[k]));
            i = v.Length * Vector<double>.Count;
        }
        for (; i < values.Length; i++)
        {
            var x = values[i];
            values[i] = x < low ? low : x > high ? high : x;
        }
    }
}
