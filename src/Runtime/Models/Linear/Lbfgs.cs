namespace StrategyLab.Runtime.Models.Linear;

/// <summary>
/// Limited-memory BFGS (Nocedal and Wright, Numerical Optimization, algorithms 7.4 and 7.5) with a
/// backtracking line search on the Armijo condition. The objective writes its gradient into the
/// second argument and returns its value.
/// </summary>
internal static class Lbfgs
{
    internal delegate double Objective(ReadOnlySpan<double> x, Span<double> gradient);

    /// <summary>
    /// Minimises from <paramref name="x"/> (overwritten with the minimiser) until the largest
    /// gradient component is at most <paramref name="tolerance"/>; returns the iterations used.
    /// </summary>
    internal static int Minimize(Objective f, double[] x, double tolerance, int maxIterations, int memory = 10)
    {
        var n = x.Length;
        var s = new double[memory][];
        var y = new double[memory][];
        for (var i = 0; i < memory; i++)
        {
            s[i] = new double[n];
            y[i] = new double[n];
        }
        var rho = new double[memory];
        var alpha = new double[memory];
        var g = new double[n];
        var gNext = new double[n];
        var direction = new double[n];
        var xNext = new double[n];
        var value = f(x, g);
        var stored = 0;
        var newest = -1;
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            if (MaxAbs(g) <= tolerance)
                return iteration;
            // two-loop recursion: direction = −H g
            g.CopyTo(direction, 0);
            for (var k = 0; k < stored; k++)
            {
                var m = (newest - k + memory) % memory;
                alpha[m] = rho[m] * Dot(s[m], direction);
                Axpy(-alpha[m], y[m], direction);
            }
            var gamma = stored > 0 ? Dot(s[newest], y[newest]) / Dot(y[newest], y[newest]) : 1.0 / Math.Max(1.0, Math.Sqrt(Dot(g, g)));
            for (var i = 0; i < n; i++)
                direction[i] *= gamma;
            for (var k = stored - 1; k >= 0; k--)
            {
                var m = (newest - k + memory) % memory;
                var beta = rho[m] * Dot(y[m], direction);
                Axpy(alpha[m] - beta, s[m], direction);
            }
            for (var i = 0; i < n; i++)
                direction[i] = -direction[i];
            var slope = Dot(g, direction);
            if (slope >= 0)
            {
                // not a descent direction (curvature pairs gone stale): restart from steepest descent
                stored = 0;
                for (var i = 0; i < n; i++)
                    direction[i] = -g[i];
                slope = Dot(g, direction);
            }
            var step = 1.0;
            double next;
            while (true)
            {
                for (var i = 0; i < n; i++)
                    xNext[i] = x[i] + step * direction[i];
                next = f(xNext, gNext);
                if (next <= value + 1e-4 * step * slope)
                    break;
                step *= 0.5;
                if (step < 1e-20)
                    return iteration;
            }
            newest = (newest + 1) % memory;
            double sy = 0;
            for (var i = 0; i < n; i++)
            {
                s[newest][i] = xNext[i] - x[i];
                y[newest][i] = gNext[i] - g[i];
                sy += s[newest][i] * y[newest][i];
            }
            if (sy > 1e-300)
            {
                rho[newest] = 1.0 / sy;
                stored = Math.Min(stored + 1, memory);
            }
            else
                newest = (newest - 1 + memory) % memory;
            xNext.CopyTo(x, 0);
            gNext.CopyTo(g, 0);
            value = next;
        }
        return maxIterations;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++)
            s += a[i] * b[i];
        return s;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (var i = 0; i < x.Length; i++)
            y[i] += a * x[i];
    }

    private static double MaxAbs(double[] a)
    {
        double m = 0;
        foreach (var v in a)
            m = Math.Max(m, Math.Abs(v));
        return m;
    }
}
