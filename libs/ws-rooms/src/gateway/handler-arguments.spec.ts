import { eventArguments, isBinaryArgument, nativeArguments } from './handler-arguments';

describe('handler arguments', () => {
  it('puts the event last, where Nest reads the pattern', () => {
    expect(eventArguments('c', 'p', 'chat')).toEqual(['c', 'p', 'chat']);
    expect(nativeArguments('c', 'd', true)).toEqual(['c', 'd', true, undefined]);
  });

  it('reads the frame kind of native arguments only', () => {
    expect(isBinaryArgument(nativeArguments('c', 'd', true))).toBe(true);
    expect(isBinaryArgument(nativeArguments('c', 'd', false))).toBe(false);
    expect(isBinaryArgument(eventArguments('c', true, 'chat'))).toBe(false);
  });
});
