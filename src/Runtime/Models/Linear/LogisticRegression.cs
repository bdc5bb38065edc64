using StrategyLab.Runtime.Models;

namespace StrategyLab.Runtime.Models.Linear;

/// <summary>
/// L2-regularised logistic regression fitted by L-BFGS. Features are standardised internally and
/// the fit minimises Σ [log(1 + e^{s}) − y s] + (λ/2)‖β‖² with s = b₀ + zᵀβ, the intercept b₀
/// unpenalised; coefficients are reported on the original scale. Labels are 0 or 1; predictions
/// are probabilities of 1. Example: <c>LogisticRegression.Fit(x, y, lambda: 1.0).Predict(xTest, p)</c>.
/// </summary>
public sealed class LogisticRegression
{
    internal const string Kind = "LOGR";
    private const int FormatVersion = 1;
    private readonly double[] _coefficients;

    private LogisticRegression(double lambda, double intercept, double[] coefficients, int iterations)
    {
        Lambda = lambda;
        Intercept = intercept;
        _coefficients = coefficients;
        Iterations = iterations;
    }

    /// <summary>The penalty λ on the standardised coefficients.</summary>
    public double Lambda { get; }

    /// <summary>The intercept of the log-odds on the original scale.</summary>
    public double Intercept { get; }

    /// <summary>Log-odds coefficients on the original scale: logit p = Intercept + Σ Coefficients[j] x[j].</summary>
    public IReadOnlyList<double> Coefficients => _coefficients;

    /// <summary>Columns of the feature matrix the model expects.</summary>
    public int FeatureCount => _coefficients.Length;

    /// <summary>L-BFGS iterations the fit took (0 for a loaded model).</summary>
    public int Iterations { get; }

    /// <summary>
    /// Fits a row-major matrix <paramref name="features"/> [labels.Length × features] of finite
    /// values; stops when every gradient component is below <paramref name="tolerance"/> times the row count.
    /// </summary>
    public static LogisticRegression Fit(ReadOnlySpan<double> features, ReadOnlySpan<double> labels, double lambda, double tolerance = 1e-9, int maxIterations = 1000)
    {
        if (!(lambda >= 0) || double.IsInfinity(lambda))
            throw new ArgumentException($"lambda must be zero or more, found {lambda}");
        var n = labels.Length;
        var scaling = Standardisation.Measure(features, n, out var p);
        for (var i = 0; i < n; i++)
            if (labels[i] is not (0.0 or 1.0))
                throw new ArgumentException($"label {i} is {labels[i]}; expected 0 or 1");
        var z = new double[n * p];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < p; j++)
                z[i * p + j] = scaling.Scale(j, features[i * p + j]);
        var y = labels.ToArray();
        var parameters = new double[p + 1];
        var iterations = Lbfgs.Minimize((w, g) => Objective(z, y, p, lambda, w, g), parameters, tolerance * n, maxIterations);
        var coefficients = new double[p];
        var intercept = parameters[0];
        for (var j = 0; j < p; j++)
        {
            coefficients[j] = scaling.Deviation[j] == 0 ? 0.0 : parameters[j + 1] / scaling.Deviation[j];
            intercept -= coefficients[j] * scaling.Mean[j];
        }
        return new LogisticRegression(lambda, intercept, coefficients, iterations);
    }

    /// <summary>
    /// The penalised negative log-likelihood at w = (b₀, β) on standardised rows z [n × p], with its
    /// gradient written to <paramref name="gradient"/>: ∂/∂b₀ = Σ (pᵢ − yᵢ), ∂/∂βⱼ = Σ (pᵢ − yᵢ) zᵢⱼ + λβⱼ.
    /// </summary>
    internal static double Objective(double[] z, double[] y, int p, double lambda, ReadOnlySpan<double> w, Span<double> gradient)
    {
        gradient.Clear();
        double loss = 0;
        for (var i = 0; i < y.Length; i++)
        {
            var row = z.AsSpan(i * p, p);
            var s = w[0];
            for (var j = 0; j < p; j++)
                s += w[j + 1] * row[j];
            // log(1 + e^s) computed without overflow for large |s|
            loss += (s > 0 ? s + Math.Log(1 + Math.Exp(-s)) : Math.Log(1 + Math.Exp(s))) - y[i] * s;
            var residual = Sigmoid(s) - y[i];
            gradient[0] += residual;
            for (var j = 0; j < p; j++)
                gradient[j + 1] += residual * row[j];
        }
        for (var j = 1; j <= p; j++)
        {
            loss += 0.5 * lambda * w[j] * w[j];
            gradient[j] += lambda * w[j];
        }
        return loss;
    }

    private static double Sigmoid(double s) => s >= 0 ? 1 / (1 + Math.Exp(-s)) : Math.Exp(s) / (1 + Math.Exp(s));

    /// <summary>Writes the probability of class 1 for each row of a row-major matrix into <paramref name="output"/>.</summary>
    public void Predict(ReadOnlySpan<double> features, Span<double> output)
    {
        LinearScore.Compute(features, Intercept, _coefficients, output);
        for (var i = 0; i < output.Length; i++)
            output[i] = Sigmoid(output[i]);
    }

    /// <summary>Writes the model in the versioned, checksummed model format.</summary>
    public void Save(Stream stream) => LinearModelFile.Write(stream, Kind, FormatVersion, Lambda, Intercept, _coefficients);

    /// <summary>Writes the model to a file.</summary>
    public void Save(string path)
    {
        using var stream = File.Create(path);
        Save(stream);
    }

    /// <summary>Reads a model written by <see cref="Save(Stream)"/>; a foreign, newer or corrupt input throws <see cref="InvalidDataException"/>.</summary>
    public static LogisticRegression Load(Stream stream, string source = "the model stream")
    {
        var (lambda, intercept, coefficients) = LinearModelFile.Read(stream, Kind, "logistic regression model", FormatVersion, source);
        return new LogisticRegression(lambda, intercept, coefficients, 0);
    }

    /// <summary>Reads a model file written by <see cref="Save(string)"/>.</summary>
    public static LogisticRegression Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, $"'{path}'");
    }
}
