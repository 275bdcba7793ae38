using Tally.Core.Domain;

namespace Tally.Storage;

public static class CustomerStates
{
    /// <summary>
    /// The state a customer's next unit decides on once this unit's changes are applied: both stores move their copy
    /// on before the commit (SQLite its resident copy, PostgreSQL the state shared by the units of one transaction).
    /// </summary>
    public static CustomerState? Advance(CustomerState? state, CustomerChanges changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.DeleteCustomer)
        {
            return null;
        }
        if (changes.CustomerIsNew || state is null)
        {
            var created = new CustomerState(changes.Customer ?? throw new InvalidOperationException("A new customer needs its row"));
            created.Apply(changes);
            return created;
        }
        state.Apply(changes);
        return state;
    }
}
