using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Models.Training;

namespace StrategyLab.Runtime.Tests.Models.Training;

public sealed class EnsemblesTests
{
    [Fact]
    public void The_projection_onto_the_simplex_matches_hand_results()
    {
        double[] inside = [0.25, 0.75];
        Ensembles.ProjectOntoSimplex(inside);
        Assert.Equal([0.25, 0.75], inside);
        // (2, 0): subtract θ = 1 from both, clip at 0 → (1, 0)
        double[] far = [2, 0];
        Ensembles.ProjectOntoSimplex(far);
        Assert.Equal([1, 0], far);
        // (0.6, 0.6, -1): θ = 0.1 over the first two → (0.5, 0.5, 0)
        double[] three = [0.6, 0.6, -1];
        Ensembles.ProjectOntoSimplex(three);
        Assert.Equal(0.5, three[0], 12);
        Assert.Equal(0.5, three[1], 12);
        Assert.Equal(0, three[2]);
    }

    [Fact]
    public void Weights_of_two_indicator_members_are_the_label_values()
    {
        // member 1 predicts (1, 0), member 2 (0, 1), the label is (0.3, 0.7): with w2 = 1 - w1 the
        // error is (w1 - 0.3)² + (0.3 - w1)², least at w1 = 0.3
        var w = Ensembles.FitWeights([[1.0, 0.0], [0.0, 1.0]], [0.3, 0.7]);
        Assert.Equal(0.3, w[0], 9);
        Assert.Equal(0.7, w[1], 9);
    }

    [Fact]
    public void A_member_equal_to_the_label_takes_all_the_weight_from_noise()
    {
        var rng = new SplitMix64(5);
        var label = new double[500];
        var noise = new double[500];
        for (var i = 0; i < label.Length; i++)
        {
            label[i] = rng.Normal();
            noise[i] = rng.Normal();
        }
        var w = Ensembles.FitWeights([noise, label], label);
        Assert.Equal(0, w[0], 9);
        Assert.Equal(1, w[1], 9);
    }

    [Fact]
    public void Fixed_weights_average_and_a_missing_member_value_stays_missing()
    {
        var combined = Ensembles.Combine([[1.0, 2.0, double.NaN], [3.0, 4.0, 5.0]], [1, 3], "e");
        Assert.Equal(2.5, combined[0]);
        Assert.Equal(3.5, combined[1]);
        Assert.True(double.IsNaN(combined[2]));
    }
}
