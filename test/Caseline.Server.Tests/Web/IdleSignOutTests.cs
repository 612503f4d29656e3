using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Caseline.Server.Tests.Web;

/// <summary>A web session ends after 30 minutes without a request, and each request keeps it going; on a clock the test moves.</summary>
public sealed class IdleSignOutTests(Chromium chromium) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private CaselineServer _server = null!;

    public ValueTask InitializeAsync()
    {
        _server = CaselineServer.With(services: s => s.AddSingleton<TimeProvider>(_clock));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_session_used_every_20_minutes_stays_and_one_left_31_minutes_signs_out()
    {
        using var agency = await WebAgency.CreateAsync(_server);
        await using var web = await chromium.OpenAsync(_server, nameof(A_session_used_every_20_minutes_stays_and_one_left_31_minutes_signs_out));
        await web.SignInAsync(agency.Officer);

        for (var i = 0; i < 4; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(20));
            Assert.Equal(200, await web.GoAsync("/ui"));
            Assert.EndsWith("/ui", web.Page.Url, StringComparison.Ordinal);
        }

        _clock.Advance(TimeSpan.FromMinutes(31));
        await web.GoAsync("/ui");
        Assert.Contains("/ui/signin", web.Page.Url, StringComparison.Ordinal);
    }
}
