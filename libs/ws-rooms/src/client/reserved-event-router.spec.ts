import { ReservedEventRouter } from './reserved-event-router';

describe('ReservedEventRouter', () => {
  it('knows the reserved name space', () => {
    expect(ReservedEventRouter.isReserved('ws-rooms:error')).toBe(true);
    expect(ReservedEventRouter.isReserved('ws-rooms:anything-later')).toBe(true);
    expect(ReservedEventRouter.isReserved('ws-rooms')).toBe(false);
    expect(ReservedEventRouter.isReserved('chat')).toBe(false);
  });

  it('routes to the registered hook and drops the rest', () => {
    const router = new ReservedEventRouter();
    const hook = jest.fn();
    router.register('ws-rooms:res', hook);
    expect(router.route('ws-rooms:res', { id: 1 })).toBe(true);
    expect(router.route('ws-rooms:presence', {})).toBe(false);
    expect(hook).toHaveBeenCalledWith({ id: 1 });
  });
});
