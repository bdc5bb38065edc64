using StrategyLab.Runtime.Search.Samplers;

namespace StrategyLab.Runtime.Tests.Search.Samplers;

public sealed class SymmetricEigenTests
{
    /// <summary>V diag(λ) Vᵀ rebuilds random symmetric matrices (sizes 1 to 12) and VᵀV = I, to 1e-12 relative.</summary>
    [Fact]
    public void DecompositionRebuildsTheMatrixWithOrthonormalVectors()
    {
        var random = new Random(3);
        for (var n = 1; n <= 12; n++)
        {
            var a = new double[n * n];
            for (var i = 0; i < n; i++)
                for (var j = 0; j <= i; j++)
                    a[(i * n) + j] = a[(j * n) + i] = (random.NextDouble() * 2) - 1;
            var values = new double[n];
            var vectors = new double[n * n];
            SymmetricEigen.Decompose(a, n, values, vectors);
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                {
                    double rebuilt = 0, gram = 0;
                    for (var k = 0; k < n; k++)
                    {
                        rebuilt += vectors[(i * n) + k] * values[k] * vectors[(j * n) + k];
                        gram += vectors[(k * n) + i] * vectors[(k * n) + j];
                    }
                    Assert.Equal(a[(i * n) + j], rebuilt, 1e-12);
                    Assert.Equal(i == j ? 1 : 0, gram, 1e-12);
                }
        }
    }

    [Fact]
    public void EigenvaluesOfAKnownMatrix()
    {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3
        var values = new double[2];
        SymmetricEigen.Decompose([2, 1, 1, 2], 2, values, new double[4]);
        Assert.Equal([1.0, 3.0], values.Order().Select(v => Math.Round(v, 12)));
    }
}
