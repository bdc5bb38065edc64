using MathNet.Numerics.Distributions;

namespace StrategyLab.Runtime.Search.Statistics;

/// <summary>
/// The moments of a return series that the Sharpe statistics need, all per period (never annualised).
/// </summary>
/// <param name="Periods">T, the number of returns.</param>
/// <param name="Mean">μ = Σ r / T.</param>
/// <param name="StandardDeviation">σ = √(Σ (r − μ)² / (T − 1)), the sample standard deviation.</param>
/// <param name="Sharpe">μ / σ per period, zero risk-free rate: annualised it is <see cref="Backtest.PerformanceMetrics.Sharpe"/>.</param>
/// <param name="Skewness">γ3 = m3 / m2^(3/2) with m_k = Σ (r − μ)^k / T (the biased sample moments the papers use).</param>
/// <param name="Kurtosis">γ4 = m4 / m2², non-excess: 3 for normal returns, as in the papers' formulas.</param>
public sealed record ReturnMoments(int Periods, double Mean, double StandardDeviation, double Sharpe, double Skewness, double Kurtosis);

/// <summary>
/// The Sharpe ratio as an estimate with an error: its moments, the Probabilistic Sharpe Ratio and
/// minimum track record length (Bailey and López de Prado 2012, "The Sharpe Ratio Efficient Frontier",
/// Journal of Risk 15(2)), and the expected maximum Sharpe of N skill-less trials and the Deflated Sharpe
/// Ratio (Bailey and López de Prado 2014, "The Deflated Sharpe Ratio: Correcting for Selection Bias,
/// Backtest Overfitting and Non-Normality", Journal of Portfolio Management 40(5)).
/// Every Sharpe ratio here is per period (daily bars: per day) and T counts periods, as in the papers'
/// formulas; <see cref="Annualize"/> and <see cref="PerPeriod"/> convert at the edges.
/// </summary>
public static class SharpeStatistics
{
    /// <summary>γ, the Euler–Mascheroni constant.</summary>
    public const double EulerMascheroni = 0.57721566490153286;

    /// <summary>
    /// Mean, sample standard deviation, per-period Sharpe, skewness and non-excess kurtosis of
    /// <paramref name="returns"/> (at least two finite values). A series without variance has Sharpe
    /// +∞ or −∞ by the sign of its mean, 0 when the mean is 0, and skewness 0 and kurtosis 3 (nothing
    /// to say about its tails: the normal's values, which leave the Sharpe's error to T alone).
    /// </summary>
    public static ReturnMoments Moments(ReadOnlySpan<double> returns)
    {
        if (returns.Length < 2)
            throw new ArgumentException($"the Sharpe ratio needs at least 2 returns, found {returns.Length}", nameof(returns));
        double sum = 0;
        for (var t = 0; t < returns.Length; t++)
        {
            if (!double.IsFinite(returns[t]))
                throw new ArgumentException($"return {returns[t]} at period {t} is not a finite number", nameof(returns));
            sum += returns[t];
        }
        var n = returns.Length;
        var mean = sum / n;
        double m2 = 0, m3 = 0, m4 = 0;
        foreach (var r in returns)
        {
            var d = r - mean;
            var d2 = d * d;
            m2 += d2;
            m3 += d2 * d;
            m4 += d2 * d2;
        }
        var sd = Math.Sqrt(m2 / (n - 1));
        if (m2 == 0)
            return new ReturnMoments(n, mean, 0, mean == 0 ? 0 : mean * double.PositiveInfinity, 0, 3);
        m2 /= n;
        m3 /= n;
        m4 /= n;
        return new ReturnMoments(n, mean, sd, mean / sd, m3 / Math.Pow(m2, 1.5), m4 / (m2 * m2));
    }

    /// <summary>μ / σ per period of <paramref name="returns"/> (see <see cref="Moments"/>).</summary>
    public static double Sharpe(ReadOnlySpan<double> returns) => Moments(returns).Sharpe;

    /// <summary>A per-period Sharpe times √(periods per year): 0.1 daily is 0.1 × √365 ≈ 1.91 a year.</summary>
    public static double Annualize(double perPeriodSharpe, double periodsPerYear) => perPeriodSharpe * Math.Sqrt(CheckYear(periodsPerYear));

    /// <summary>An annual Sharpe divided by √(periods per year): the inverse of <see cref="Annualize"/>.</summary>
    public static double PerPeriod(double annualSharpe, double periodsPerYear) => annualSharpe / Math.Sqrt(CheckYear(periodsPerYear));

    /// <summary>A variance of annual Sharpe ratios in per-period units: divided by periods per year (V[a·x] = a²·V[x]).</summary>
    public static double PerPeriodVariance(double annualVariance, double periodsPerYear) => annualVariance / CheckYear(periodsPerYear);

    /// <summary>
    /// σ(SR) = √((1 − γ3·SR + (γ4 − 1)/4 · SR²) / (T − 1)), the standard error of a per-period Sharpe
    /// estimated from T returns of skewness γ3 and non-excess kurtosis γ4 (Bailey and López de Prado
    /// 2012, after Mertens 2002; for normal returns it is √((1 + SR²/2) / (T − 1))).
    /// </summary>
    public static double StandardError(double sharpe, int periods, double skewness, double kurtosis)
    {
        if (periods < 2)
            throw new ArgumentOutOfRangeException(nameof(periods), periods, "the Sharpe ratio's error needs at least 2 periods");
        return Math.Sqrt(ErrorTerm(sharpe, skewness, kurtosis) / (periods - 1));
    }

    /// <summary>
    /// PSR(SR*) = Φ((SR − SR*) · √(T − 1) / √(1 − γ3·SR + (γ4 − 1)/4 · SR²)): the probability that the
    /// true per-period Sharpe exceeds <paramref name="benchmark"/> SR*, given the estimate
    /// <paramref name="sharpe"/> from T returns of skewness γ3 and non-excess kurtosis γ4
    /// (Bailey and López de Prado 2012, section 3, "Probabilistic Sharpe Ratio (PSR)").
    /// </summary>
    public static double ProbabilisticSharpe(double sharpe, double benchmark, int periods, double skewness, double kurtosis)
    {
        if (double.IsInfinity(sharpe))
            return sharpe > 0 ? 1 : 0;
        var z = (sharpe - benchmark) / StandardError(sharpe, periods, skewness, kurtosis);
        return Normal.CDF(0, 1, z);
    }

    /// <summary>PSR(SR*) of a return series: <see cref="ProbabilisticSharpe(double, double, int, double, double)"/> with its own moments.</summary>
    public static double ProbabilisticSharpe(ReadOnlySpan<double> returns, double benchmark)
    {
        var m = Moments(returns);
        return ProbabilisticSharpe(m.Sharpe, benchmark, m.Periods, m.Skewness, m.Kurtosis);
    }

    /// <summary>
    /// MinTRL = 1 + (1 − γ3·SR + (γ4 − 1)/4 · SR²) · (Φ⁻¹(c) / (SR − SR*))², in periods: the shortest
    /// track record for which PSR(SR*) reaches the confidence <paramref name="confidence"/> c
    /// (Bailey and López de Prado 2012, "Minimum Track Record Length"). +∞ when SR ≤ SR*:
    /// no length makes the estimate significantly better than a benchmark it does not beat.
    /// </summary>
    public static double MinimumTrackRecordLength(double sharpe, double benchmark, double skewness, double kurtosis, double confidence = 0.95)
    {
        if (!(confidence > 0 && confidence < 1))
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "the confidence must be between 0 and 1");
        if (!(sharpe > benchmark))
            return double.PositiveInfinity;
        var z = Normal.InvCDF(0, 1, confidence) / (sharpe - benchmark);
        return 1 + (ErrorTerm(sharpe, skewness, kurtosis) * z * z);
    }

    /// <summary>
    /// Z(N) = (1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e)), γ the Euler–Mascheroni constant: the expected
    /// maximum of N independent standard normals, approximately (from extreme value theory: Bailey, Borwein,
    /// López de Prado and Zhu 2014; Bailey and López de Prado 2014). It overstates the exact value by about 2.5 % at N = 10, 0.9 % at N = 100 and
    /// 0.4 % at N = 1000; for N = 1 it is 0, the mean of one standard normal (the formula itself needs N ≥ 2).
    /// </summary>
    public static double ExpectedMaxStandardNormal(double trials)
    {
        if (!(trials >= 1) || double.IsPositiveInfinity(trials))
            throw new ArgumentOutOfRangeException(nameof(trials), trials, "the number of trials must be at least 1");
        if (trials == 1)
            return 0;
        return ((1 - EulerMascheroni) * Normal.InvCDF(0, 1, 1 - (1 / trials)))
            + (EulerMascheroni * Normal.InvCDF(0, 1, 1 - (1 / (trials * Math.E))));
    }

    /// <summary>
    /// SR0 = E[max SR] ≈ √V · Z(N): the expected largest per-period Sharpe among N independent trials that have
    /// no skill (true Sharpe 0) when their estimated Sharpes vary across trials with variance V
    /// (Bailey and López de Prado 2014; Z(N) in
    /// <see cref="ExpectedMaxStandardNormal"/>). V is per period: see <see cref="PerPeriodVariance"/>.
    /// </summary>
    public static double ExpectedMaxSharpe(double trials, double sharpeVariance)
    {
        if (!(sharpeVariance >= 0) || double.IsPositiveInfinity(sharpeVariance))
            throw new ArgumentOutOfRangeException(nameof(sharpeVariance), sharpeVariance, "the variance of the trials' Sharpe ratios must be a finite number of at least 0");
        return Math.Sqrt(sharpeVariance) * ExpectedMaxStandardNormal(trials);
    }

    /// <summary>
    /// DSR = PSR(SR0) with SR0 = <see cref="ExpectedMaxSharpe"/>(N, V): the probability that the selected trial's
    /// true Sharpe exceeds what the best of N skill-less trials would show by luck, given its per-period Sharpe,
    /// T, skewness and non-excess kurtosis (Bailey and López de Prado 2014). The paper's numerical example
    /// (N = 100, V = 1/2 a year, annual SR 2.5 over T = 1250 daily returns of a 250-day year, γ3 = −3, γ4 = 10)
    /// gives SR0 ≈ 0.1132 a day and DSR ≈ 0.9004.
    /// </summary>
    public static double DeflatedSharpe(double sharpe, int periods, double skewness, double kurtosis, double trials, double sharpeVariance) =>
        ProbabilisticSharpe(sharpe, ExpectedMaxSharpe(trials, sharpeVariance), periods, skewness, kurtosis);

    /// <summary>
    /// The Deflated Sharpe Ratio of the selected trial's <paramref name="selectedReturns"/> against the per-period
    /// Sharpe ratios of every trial tried (the selected one included): N is their count and V their sample
    /// variance (n − 1).
    /// </summary>
    public static DeflatedSharpe Deflate(ReadOnlySpan<double> selectedReturns, ReadOnlySpan<double> trialSharpes)
    {
        if (trialSharpes.Length < 2)
            throw new ArgumentException($"deflating needs the Sharpe ratios of at least 2 trials, found {trialSharpes.Length}", nameof(trialSharpes));
        double sum = 0;
        foreach (var s in trialSharpes)
        {
            if (!double.IsFinite(s))
                throw new ArgumentException($"a trial's Sharpe ratio {s} is not a finite number", nameof(trialSharpes));
            sum += s;
        }
        var mean = sum / trialSharpes.Length;
        double ss = 0;
        foreach (var s in trialSharpes)
            ss += (s - mean) * (s - mean);
        var variance = ss / (trialSharpes.Length - 1);
        var m = Moments(selectedReturns);
        var sr0 = ExpectedMaxSharpe(trialSharpes.Length, variance);
        return new DeflatedSharpe(m, trialSharpes.Length, variance, sr0, ProbabilisticSharpe(m.Sharpe, sr0, m.Periods, m.Skewness, m.Kurtosis));
    }

    // 1 − γ3·SR + (γ4 − 1)/4 · SR²: never negative for moments of one sample, since γ4 ≥ 1 + γ3² there
    private static double ErrorTerm(double sharpe, double skewness, double kurtosis)
    {
        var term = 1 - (skewness * sharpe) + ((kurtosis - 1) / 4 * sharpe * sharpe);
        if (!(term >= 0))
            throw new ArgumentException($"skewness {skewness} and kurtosis {kurtosis} cannot belong to one sample (kurtosis is non-excess: 3 for normal returns)");
        return term;
    }

    private static double CheckYear(double periodsPerYear) =>
        periodsPerYear > 0 && double.IsFinite(periodsPerYear)
            ? periodsPerYear
            : throw new ArgumentOutOfRangeException(nameof(periodsPerYear), periodsPerYear, "periods per year must be a positive number");
}

/// <summary>
/// The Deflated Sharpe Ratio of a selected trial, with what went into it; all Sharpe ratios per period.
/// </summary>
/// <param name="Selected">The selected trial's moments (its Sharpe, T, skewness, kurtosis).</param>
/// <param name="Trials">N, the trials tried.</param>
/// <param name="SharpeVariance">V, the sample variance of the trials' per-period Sharpe ratios.</param>
/// <param name="ExpectedMaxSharpe">SR0 ≈ √V · Z(N), the best Sharpe luck alone would show.</param>
/// <param name="Probability">DSR = PSR(SR0).</param>
public sealed record DeflatedSharpe(ReturnMoments Selected, int Trials, double SharpeVariance, double ExpectedMaxSharpe, double Probability);
