using GptOss.Generation;
using GptOss.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GptOss.Engine.Tests;

public class LocalEngineBackendTests
{
    [Fact]
    public void An_unknown_dtype_is_named_in_the_error()
    {
        var error = Assert.Throws<ArgumentException>(() => new LocalModelOptions { DType = "fp8" }.ToEngineOptions());

        Assert.Contains("GptOss:DType", error.Message);
    }

    [Fact]
    public void AddGptOssEngine_loads_the_configured_checkpoint_as_the_generator()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GptOss:ModelDirectory"] = TestPaths.TinyFixture("hf-a"),
            ["GptOss:DType"] = "f32",
            ["GptOss:ModelId"] = "tiny",
        }).Build();
        using var services = new ServiceCollection().AddGptOssGenerator(configuration).AddGptOssEngine().BuildServiceProvider();

        var generator = services.GetRequiredService<ITokenGenerator>();

        var engine = Assert.IsType<GptOssEngine>(generator);
        Assert.Equal(ActivationDType.Float32, engine.DType);
        Assert.Equal("tiny", generator.Model.Name);
    }

    [Fact]
    public void A_missing_checkpoint_folder_is_named()
    {
        using var services = new ServiceCollection().AddGptOssGenerator()
            .AddGptOssEngine(configure: o => o.ModelDirectory = "/nonexistent/gpt-oss").BuildServiceProvider();

        var error = Assert.Throws<DirectoryNotFoundException>(() => services.GetRequiredService<ITokenGenerator>());

        Assert.Contains("/nonexistent/gpt-oss", error.Message);
    }
}
