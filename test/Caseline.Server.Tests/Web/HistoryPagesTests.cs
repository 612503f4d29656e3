using System.Globalization;
using Microsoft.Playwright;

namespace Caseline.Server.Tests.Web;

/// <summary>The timeline with its field diffs and deliveries, and the profile as of an instant and between two.</summary>
public sealed class HistoryPagesTests(CaselineServer server, Chromium chromium) : IClassFixture<CaselineServer>
{
    [Fact]
    public async Task The_timeline_shows_each_change_as_a_field_diff_with_its_delivery_and_as_of_shows_and_compares_instants()
    {
        using var agency = await WebAgency.CreateAsync(server);
        await using var receiver = await WebhookReceiver.StartAsync();
        var hook = await agency.Api.Post("/api/v1/transmit/webhooks", $$"""{"Url":"{{receiver.Url}}","Description":"County CMS"}""");
        Assert.True(hook.IsSuccessStatusCode);

        await agency.PutClientAsync("H1", """{"FirstName":"Ann","LastName":"Lee","Status":"Active"}""");
        var first = agency.Log()[^1].Message.Action.OccurredOn;
        // The next change in a later second, so that an instant to the second tells the two apart.
        while (DateTimeOffset.UtcNow.ToUnixTimeSeconds() <= first.ToUnixTimeSeconds())
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        await agency.PutClientAsync("H1", """{"FirstName":"Anna","LastName":"Lee"}""");
        var second = agency.Log()[^1].Message.Action.OccurredOn;
        for (var wait = 0; receiver.Requests.Count < 3 && wait < 200; wait++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        await using var web = await chromium.OpenAsync(server, nameof(The_timeline_shows_each_change_as_a_field_diff_with_its_delivery_and_as_of_shows_and_compares_instants));
        await web.SignInAsync(agency.Officer);
        await web.GoAsync("/ui/clients/H1");
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Link, new() { Name = "Timeline" }));
        var newest = web.Page.Locator("ol.timeline > li").First;
        Assert.Contains("Personal Details Updated", await newest.Locator("h2").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("Ann", await newest.Locator("tr", new() { HasText = "First name" }).Locator("del").InnerTextAsync());
        Assert.Equal("Anna", await newest.Locator("tr", new() { HasText = "First name" }).Locator("ins").InnerTextAsync());
        Assert.Equal(0, await newest.Locator("tr", new() { HasText = "Last name" }).CountAsync());
        Assert.Contains("County CMS: Delivered", await newest.Locator("ul[aria-label=Deliveries]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(3, await web.Page.Locator("ol.timeline > li").CountAsync());
        // One number per entry, its position in the log: the list draws none of its own beside it.
        Assert.Equal("none", await newest.EvaluateAsync<string>("li => getComputedStyle(li).listStyleType"));
        Assert.Contains($"Position {agency.Log()[^1].Position}", await newest.InnerTextAsync(), StringComparison.Ordinal);
        await web.CheckAsync("timeline");

        await web.GoAsync("/ui/clients/H1/as-of");
        await web.Page.GetByLabel("As of").FillAsync(Second(first));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Show" }));
        Assert.Contains("Ann", await web.Page.Locator("section[aria-label=Personal]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("Anna", await web.Page.Locator("section[aria-label=Personal]").InnerTextAsync(), StringComparison.Ordinal);
        await web.CheckAsync("as-of");

        await web.Page.GetByLabel("Compare with").FillAsync(Second(second));
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Show" }));
        var personal = web.Page.Locator("section[aria-label=Personal]");
        Assert.Equal("Ann", await personal.Locator("del").InnerTextAsync());
        Assert.Equal("Anna", await personal.Locator("ins").InnerTextAsync());
        await web.CheckAsync("as-of-compare");

        // A whole minute with seconds 00: the picker sends no seconds, and the page keeps the instant exact, not the minute's end.
        var minute = new DateTimeOffset(first.Year, first.Month, first.Day, first.Hour, first.Minute, 0, TimeSpan.Zero);
        await web.GoAsync("/ui/clients/H1/as-of");
        await web.Page.GetByLabel("As of").FillAsync(Second(minute)[..16]);
        await web.ClickAsync(web.Page.GetByRole(AriaRole.Button, new() { Name = "Show" }));
        Assert.Equal("As of " + minute.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC", await web.Page.Locator("h2", new() { HasText = "As of" }).InnerTextAsync());
        Assert.Equal(first.Second == 0, await web.Page.Locator("section[aria-label=Personal]").CountAsync() == 1);
        Assert.Equal(Second(minute)[..16], (await web.Page.GetByLabel("As of").InputValueAsync())[..16]);

        Assert.Equal(400, await web.GoAsync("/ui/clients/H1/as-of?at=yesterday"));
        Assert.True(await web.FocusedAsync(".error-summary"));
        await web.CheckAsync("as-of-error");
    }

    private static string Second(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
}
