namespace Snapcat.Tape.Tests;

public class ProjectSmokeTests
{
    [Fact]
    public void Assembly_loads() => Assert.Equal("Snapcat.Tape", typeof(Snapcat.Tape.AssemblyMarker).Assembly.GetName().Name);
}
