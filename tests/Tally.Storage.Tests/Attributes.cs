using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Tally.Storage.Tests;

/// <summary>
/// A storage contract test, written once in <see cref="StoreContractTests"/> and run for every store subclass.
/// Whether it is skipped depends on the concrete class: see <see cref="RequiresEnvironmentAttribute"/>.
/// </summary>
[XunitTestCaseDiscoverer("Tally.Storage.Tests.StoreFactDiscoverer", "Tally.Storage.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

/// <summary>Skips every contract test of the class while the environment variable is unset.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresEnvironmentAttribute(string variable, string reason) : Attribute
{
    public string Variable => variable;
    public string Reason => reason;
}

public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod,
        IAttributeInfo factAttribute)
    {
        yield return new StoreTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
            discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
    }
}

public sealed class StoreTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public StoreTestCase()
    {
    }

    public StoreTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod method)
        : base(sink, display, options, method)
    {
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute)
    {
        var type = TestMethod.TestClass.Class.ToRuntimeType();
        if (type.GetCustomAttribute<RequiresEnvironmentAttribute>() is { } env
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(env.Variable)))
        {
            return env.Reason;
        }
        return base.GetSkipReason(factAttribute);
    }
}
