using Caseline.Messages.Json;
using Caseline.Messages.Validation;

namespace Caseline.Messages.Tests;

public sealed class RoundTripTests
{
    public static TheoryData<string, SectionDetails> OddValues => new()
    {
        { "every section, typical values", Samples.Personal },
        { "account", Samples.Account },
        { "email", Samples.Email },
        { "address", Samples.Address },
        { "contact", Samples.Contact },
        { "vehicle", Samples.Vehicle },
        { "employment", Samples.Employment },
        { "case", Samples.Case },
        { "protective order", Samples.ProtectiveOrder },
        { "unicode names", new PersonalDetails("李小龙", "محمد\u200Cعلی", new DateOnly(2000, 2, 29), "Tokyo Standard Time", "Ελένη", "Мария", "👨‍👩‍👧", "Nguyễn") },
        { "empty strings", new PersonalDetails("x", "y", null, null, "", "", "", "") },
        { "every field null", new AccountDetails(null, null, null) },
        { "null email", new EmailDetails(null) },
        { "max lengths", new AddressDetails(new string('A', 64), "Other", new string('é', 500)) },
        { "max length in emoji", new ContactDetails("c", "OtherPhone", string.Concat(Enumerable.Repeat("😀", 50))) },
        { "leap day dates", new ProtectiveOrderDetails("po", "Stay away", new DateOnly(2024, 2, 29), new DateOnly(2028, 2, 29), null, null, null, null, null, null, null, null) },
        { "large wage", new EmploymentDetails("e", "Acme", null, null, null, 999_999_999.99m, "Year", null) },
        { "largest wage", new EmploymentDetails("e", "Acme", null, null, null, 1_000_000_000m, null, null) },
        { "tiny wage", new EmploymentDetails("e", "Acme", null, null, null, 0.0001m, null, null) },
        { "zero wage with scale", new EmploymentDetails("e", "Acme", null, null, null, 0.00m, null, null) },
        { "quotes and backslashes", new VehicleDetails("v", "\"Quote\" \\ Motors", "Model/T", "1908", "Black & white", "'7'") },
        { "earliest and latest dates", new CaseDetails("c", "c", new DateOnly(1900, 1, 1), null, [new Offense("x", new DateOnly(2199, 12, 31), null, null, null)]) },
    };

    [Theory]
    [MemberData(nameof(OddValues))]
    public void Every_section_round_trips_write_read_equal(string because, SectionDetails details)
    {
        foreach (var verb in Enum.GetValues<ChangeVerb>())
        {
            var message = Samples.Message(details, verb);

            var read = MessageReader.Read(MessageWriter.ToUtf8Bytes(message));

            Assert.True(message == read, because);
            Assert.Equal(MessageWriter.ToJson(message), MessageWriter.ToJson(read));
        }
    }

    [Theory]
    [MemberData(nameof(OddValues))]
    public void Every_odd_value_is_valid(string because, SectionDetails details)
    {
        Assert.True(MessageValidator.Validate(Samples.Message(details)).Count == 0, because);
    }

    [Fact]
    public void Random_valid_sections_round_trip_and_validate()
    {
        for (var seed = 0; seed < 2_000; seed++)
        {
            var details = Samples.Random(new Random(seed));
            var message = Samples.Message(details);

            var errors = MessageValidator.Validate(message);
            Assert.True(errors.Count == 0, $"seed {seed}: {string.Join("; ", errors.Select(e => e.Key + ": " + string.Join(", ", e.Value)))}");
            Assert.True(message == MessageReader.Read(MessageWriter.ToUtf8Bytes(message)), $"seed {seed} did not round-trip");
        }
    }

    [Fact]
    public void Offenses_compare_by_value_so_equal_cases_are_equal()
    {
        var copy = Samples.Case with { Offenses = [.. Samples.Case.Offenses] };

        Assert.Equal(Samples.Case, copy);
        Assert.Equal(Samples.Case.GetHashCode(), copy.GetHashCode());
        Assert.NotEqual(Samples.Case, copy with { Offenses = [Samples.Case.Offenses[0]] });
    }
}
