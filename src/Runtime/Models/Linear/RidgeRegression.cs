using StrategyLab.Runtime.Models;

namespace StrategyLab.Runtime.Models.Linear;

/// <summary>
/// Ridge regression in closed form. Features are standardised internally (z = (x − mean) / sd,
/// population sd) and the fit minimises Σ (y − b₀ − zᵀβ)² + λ‖β‖², the intercept b₀ unpenalised,
/// by a Cholesky solve of (ZᵀZ + λI)β = Zᵀ(y − ȳ); coefficients are reported on the original scale.
/// A constant feature gets coefficient 0. Example: <c>RidgeRegression.Fit(x, y, lambda: 1.0).Predict(xTest, p)</c>.
/// </summary>
public sealed class RidgeRegression
{
    internal const string Kind = "RIDG";
    private const int FormatVersion = 1;
    private readonly double[] _coefficients;

    private RidgeRegression(double lambda, double intercept, double[] coefficients)
    {
        Lambda = lambda;
        Intercept = intercept;
        _coefficients = coefficients;
    }

    /// <summary>The penalty λ on the standardised coefficients.</summary>
    public double Lambda { get; }

    /// <summary>The intercept on the original scale.</summary>
    public double Intercept { get; }

    /// <summary>One coefficient per feature, on the original scale: ŷ = Intercept + Σ Coefficients[j] x[j].</summary>
    public IReadOnlyList<double> Coefficients => _coefficients;

    /// <summary>Columns of the feature matrix the model expects.</summary>
    public int FeatureCount => _coefficients.Length;

    /// <summary>Fits a row-major matrix <paramref name="features"/> [labels.Length × features] of finite values.</summary>
    public static RidgeRegression Fit(ReadOnlySpan<double> features, ReadOnlySpan<double> labels, double lambda)
    {
        if (!(lambda >= 0) || double.IsInfinity(lambda))
            throw new ArgumentException($"lambda must be zero or more, found {lambda}");
        var n = labels.Length;
        var scaling = Standardisation.Measure(features, n, out var p);
        double yMean = 0;
        for (var i = 0; i < n; i++)
        {
            if (!double.IsFinite(labels[i]))
                throw new ArgumentException($"label {i} is {labels[i]}; expected a finite number");
            yMean += labels[i];
        }
        yMean /= n;
        var gram = new double[p * p];
        var rhs = new double[p];
        var z = new double[p];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < p; j++)
                z[j] = scaling.Scale(j, features[i * p + j]);
            var r = labels[i] - yMean;
            for (var j = 0; j < p; j++)
            {
                rhs[j] += z[j] * r;
                for (var k = 0; k <= j; k++)
                    gram[j * p + k] += z[j] * z[k];
            }
        }
        for (var j = 0; j < p; j++)
        {
            for (var k = 0; k < j; k++)
                gram[k * p + j] = gram[j * p + k];
            // a constant column has a zero row: a unit diagonal keeps the system solvable and its β at 0
            gram[j * p + j] += scaling.Deviation[j] == 0 ? 1.0 : lambda;
        }
        var beta = Cholesky.Solve(gram, rhs, p)
            ?? throw new ArgumentException("the features are collinear, so least squares has no unique solution; use lambda > 0 or drop the redundant features");
        var coefficients = new double[p];
        var intercept = yMean;
        for (var j = 0; j < p; j++)
        {
            coefficients[j] = scaling.Deviation[j] == 0 ? 0.0 : beta[j] / scaling.Deviation[j];
            intercept -= coefficients[j] * scaling.Mean[j];
        }
        return new RidgeRegression(lambda, intercept, coefficients);
    }

    /// <summary>Writes Intercept + Σ Coefficients[j] x[j] for each row of a row-major matrix into <paramref name="output"/>.</summary>
    public void Predict(ReadOnlySpan<double> features, Span<double> output) =>
        LinearScore.Compute(features, Intercept, _coefficients, output);

    /// <summary>Writes the model in the versioned, checksummed model format.</summary>
    public void Save(Stream stream) => LinearModelFile.Write(stream, Kind, FormatVersion, Lambda, Intercept, _coefficients);

    /// <summary>Writes the model to a file.</summary>
    public void Save(string path)
    {
        using var stream = File.Create(path);
        Save(stream);
    }

    /// <summary>Reads a model written by <see cref="Save(Stream)"/>; a foreign, newer or corrupt input throws <see cref="InvalidDataException"/>.</summary>
    public static RidgeRegression Load(Stream stream, string source = "the model stream")
    {
        var (lambda, intercept, coefficients) = LinearModelFile.Read(stream, Kind, "ridge regression model", FormatVersion, source);
        return new RidgeRegression(lambda, intercept, coefficients);
    }

    /// <summary>Reads a model file written by <see cref="Save(string)"/>.</summary>
    public static RidgeRegression Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, $"'{path}'");
    }
}

/// <summary>Cholesky factorisation A = LLᵀ of a symmetric positive definite matrix and the two triangular solves.</summary>
internal static class Cholesky
{
    /// <summary>Solves A x = b for a row-major p × p matrix; null when A is not positive definite.</summary>
    internal static double[]? Solve(double[] a, double[] b, int p)
    {
        var l = new double[p * p];
        double largest = 0;
        for (var j = 0; j < p; j++)
            largest = Math.Max(largest, Math.Abs(a[j * p + j]));
        for (var j = 0; j < p; j++)
        {
            var d = a[j * p + j];
            for (var k = 0; k < j; k++)
                d -= l[j * p + k] * l[j * p + k];
            if (!(d > 1e-13 * largest))
                return null;
            var ljj = Math.Sqrt(d);
            l[j * p + j] = ljj;
            for (var i = j + 1; i < p; i++)
            {
                var s = a[i * p + j];
                for (var k = 0; k < j; k++)
                    s -= l[i * p + k] * l[j * p + k];
                l[i * p + j] = s / ljj;
            }
        }
        var y = new double[p];
        for (var i = 0; i < p; i++)
        {
            var s = b[i];
            for (var k = 0; k < i; k++)
                s -= l[i * p + k] * y[k];
            y[i] = s / l[i * p + i];
        }
        var x = new double[p];
        for (var i = p - 1; i >= 0; i--)
        {
            var s = y[i];
            for (var k = i + 1; k < p; k++)
                s -= l[k * p + i] * x[k];
            x[i] = s / l[i * p + i];
        }
        return x;
    }
}

/// <summary>Intercept + Σ w[j] x[j] over the rows of a row-major matrix.</summary>
/// <summary>The file layout ridge and logistic regression share: λ, the intercept and the coefficients.</summary>
internal static class LinearModelFile
{
    public static void Write(Stream stream, string kind, int version, double lambda, double intercept, double[] coefficients) =>
        ModelFile.Write(stream, kind, version, w =>
        {
            w.Write(lambda);
            w.Write(intercept);
            ModelFile.WriteArray(w, coefficients);
        });

    /// <summary>Reads the layout; a foreign, newer or corrupt input throws <see cref="InvalidDataException"/>.</summary>
    public static (double Lambda, double Intercept, double[] Coefficients) Read(Stream stream, string kind, string what, int version, string source)
    {
        var (r, _) = ModelFile.Read(stream, kind, what, version, source);
        using (r)
        {
            try
            {
                return (r.ReadDouble(), r.ReadDouble(), ModelFile.ReadDoubles(r, int.MaxValue / 8));
            }
            catch (EndOfStreamException e)
            {
                throw new InvalidDataException($"{source} is not a valid {what}: {e.Message}", e);
            }
        }
    }
}

internal static class LinearScore
{
    internal static void Compute(ReadOnlySpan<double> features, double intercept, double[] weights, Span<double> output)
    {
        var p = weights.Length;
        if (p == 0 || features.Length % p != 0)
            throw new ArgumentException($"the feature matrix has {features.Length} values, not a whole number of rows of {p} features");
        var rows = features.Length / p;
        if (output.Length != rows)
            throw new ArgumentException($"the output has {output.Length} values; {rows} rows need {rows}");
        for (var i = 0; i < rows; i++)
        {
            var s = intercept;
            var row = features.Slice(i * p, p);
            for (var j = 0; j < p; j++)
                s += weights[j] * row[j];
            output[i] = s;
        }
    }
}
