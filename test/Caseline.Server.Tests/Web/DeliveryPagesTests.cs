using Caseline.Server.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;

namespace Caseline.Server.Tests.Web;

/// <summary>The deliveries pages: an endpoint's health, a dead letter sent again from the page, and the endpoint's switches.</summary>
public sealed class DeliveryPagesTests(Chromium chromium) : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private CaselineServer _server = null!;

    public ValueTask InitializeAsync()
    {
        // Tokens and sessions must outlive the hours the retry schedule takes on this clock.
        _server = CaselineServer.With(
            new Dictionary<string, string> { ["Caseline:Identity:AccessTokenLifetime"] = "30.00:00:00", ["Caseline:Identity:WebIdleTimeout"] = "30.00:00:00" },
            s => s.AddSingleton<TimeProvider>(_clock));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_dead_letter_is_sent_again_from_its_page_and_the_endpoint_shows_its_day_in_a_chart_and_a_table()
    {
        using var agency = await WebAgency.CreateAsync(_server);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => Results.StatusCode(500);
        var endpoint = (string)(await WebhookTests.Register(agency.Api, receiver.Url))["Id"]!;
        await agency.PutClientAsync("D1", """{"FirstName":"Dee","LastName":"Ell"}""");

        // Through the whole retry schedule to the dead letter.
        for (var attempt = 1; attempt <= RetrySchedule.MaxAttempts; attempt++)
        {
            await WebhookTests.Until(() => receiver.Requests.Count >= attempt, $"attempt {attempt}");
            if (attempt < RetrySchedule.MaxAttempts)
            {
                // The clock moves on from the failure as recorded: the next attempt is due a schedule's step after it.
                await WebhookTests.Until(() => _server.Count("SELECT COUNT(*) FROM delivery_attempts") >= attempt, $"attempt {attempt} recorded");
                _clock.Advance(RetrySchedule.Delays[attempt - 1] * 1.1 + TimeSpan.FromSeconds(1));
            }
        }

        await WebhookTests.Until(() => _server.Count("SELECT COUNT(*) FROM deliveries WHERE state = 'Failed'") >= 1, "the dead letter");

        await using var web = await chromium.OpenAsync(_server, nameof(A_dead_letter_is_sent_again_from_its_page_and_the_endpoint_shows_its_day_in_a_chart_and_a_table));
        await web.SignInAsync(agency.Administrator);
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Link, new() { Name = "Deliveries", Exact = true }));
        Assert.Equal(1, await web.Page.Locator("svg.chart").CountAsync());
        var total = web.Page.Locator("tr", new() { HasText = "All 24 hours" }).First;
        // The schedule spans more than a day: the chart holds the attempts of the last 24 whole hours only.
        var now = _clock.GetUtcNow();
        var firstHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(-23);
        var lastDay = _server.Count($"SELECT COUNT(*) FROM delivery_attempts WHERE at >= {firstHour.UtcTicks}");
        Assert.InRange(lastDay, 1, RetrySchedule.MaxAttempts - 1);
        Assert.Equal(["All 24 hours", "0", lastDay.ToString(System.Globalization.CultureInfo.InvariantCulture)], [.. (await total.Locator("th, td").AllInnerTextsAsync()).Select(t => t.Trim())]);
        await web.CheckAsync("deliveries");

        await web.ClickAsync(web.Page.Locator("h2 a").First);
        await web.Page.GetByLabel("State").SelectOptionAsync("Failed");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Filter" }));
        await web.CheckAsync("endpoint-failed");
        await web.ClickAsync(web.Page.Locator("tbody a", new() { HasText = "Delivery" }).First);
        Assert.Equal(8, await web.Page.Locator("table tbody tr").CountAsync());
        await web.CheckAsync("delivery");

        receiver.Answer = _ => Results.NoContent();
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Send again" }));
        Assert.Contains("queued to be sent again", await web.Page.Locator("[role=status]").InnerTextAsync(), StringComparison.Ordinal);
        await WebhookTests.Until(() => receiver.Requests.Count == RetrySchedule.MaxAttempts + 1, "the retried delivery");
        await WebhookTests.Until(() => _server.Count("SELECT COUNT(*) FROM deliveries WHERE state = 'Delivered'") == 1, "the delivery's new state");
        await web.GoAsync(web.Page.Url);
        Assert.Equal("Delivered", (await web.Page.Locator(".state").First.InnerTextAsync()).Trim());

        // Disable, enable, and a new secret shown once.
        await web.GoAsync($"/ui/deliveries/{endpoint}");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Disable the endpoint" }));
        Assert.Equal(0, _server.Count($"SELECT enabled FROM webhook_endpoints WHERE id = '{endpoint}'"));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Enable the endpoint" }));
        Assert.Equal(1, _server.Count($"SELECT enabled FROM webhook_endpoints WHERE id = '{endpoint}'"));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Rotate the signing secret" }));
        var secret = (await web.Page.Locator(".secret").InnerTextAsync()).Trim();
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        await web.CheckAsync("endpoint-rotated");
        await web.GoAsync($"/ui/deliveries/{endpoint}");
        Assert.DoesNotContain(secret, await web.Page.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_delivery_behind_a_failing_one_says_what_it_waits_for_instead_of_a_time_gone_by()
    {
        using var agency = await WebAgency.CreateAsync(_server);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = _ => Results.StatusCode(500);
        var endpoint = (string)(await WebhookTests.Register(agency.Api, receiver.Url))["Id"]!;
        await agency.PutClientAsync("W1", """{"FirstName":"Wai","LastName":"Ting"}""");
        await WebhookTests.Until(() => _server.Count($"SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '{endpoint}' AND state = 'Retrying'") == 1, "the first attempt's failure");
        await agency.PutClientAsync("W1", """{"FirstName":"Wait","LastName":"Ting"}""");
        await WebhookTests.Until(() => _server.Count($"SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '{endpoint}' AND state = 'Pending'") == 1, "the second delivery");
        var head = _server.Count($"SELECT id FROM deliveries WHERE endpoint_id = '{endpoint}' AND state = 'Retrying'");
        var behind = _server.Count($"SELECT id FROM deliveries WHERE endpoint_id = '{endpoint}' AND state = 'Pending'");

        await using var web = await chromium.OpenAsync(_server, nameof(A_delivery_behind_a_failing_one_says_what_it_waits_for_instead_of_a_time_gone_by));
        await web.SignInAsync(agency.Administrator);
        await web.GoAsync($"/ui/deliveries/{endpoint}");
        var row = web.Page.Locator("tbody tr", new() { Has = web.Page.GetByRole(AriaRole.Link, new() { Name = $"Delivery {behind}", Exact = true }) });
        Assert.Equal($"Waits for delivery {head} of the same client", (await row.Locator("td").Last.InnerTextAsync()).Trim());
        await web.CheckAsync("endpoint-waiting");

        await web.ClickAsync(row.GetByRole(AriaRole.Link, new() { Name = $"delivery {head}", Exact = true }));
        Assert.EndsWith($"/{head}", web.Page.Url, StringComparison.Ordinal);
        await web.GoAsync($"/ui/deliveries/{endpoint}/{behind}");
        Assert.Contains($"Waits for delivery {head}", await web.Page.Locator("dl").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_officer_cannot_open_the_deliveries_pages()
    {
        using var agency = await WebAgency.CreateAsync(_server);
        await using var web = await chromium.OpenAsync(_server, nameof(An_officer_cannot_open_the_deliveries_pages));
        await web.SignInAsync(agency.Officer);
        Assert.Equal(403, await web.GoAsync("/ui/deliveries"));
        Assert.Equal(0, await web.Page.GetByRole(AriaRole.Link, new() { Name = "Deliveries", Exact = true }).CountAsync());
        await web.CheckAsync("denied");
    }
}
