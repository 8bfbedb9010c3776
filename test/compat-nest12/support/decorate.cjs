'use strict';
// What TypeScript's `__decorate`, `__param` and `__metadata` helpers do, for fixtures written in plain
// JavaScript: the suite then needs no compiler, and the decorators run exactly as Nest 12 ships them.
require('reflect-metadata');

/** Applies class decorators (the last one listed runs first, as with `@A @B class`). */
function decorateClass(target, decorators) {
  return Reflect.decorate(decorators, target);
}

/** Applies decorators to a method of `target.prototype`, in the same order as TypeScript. */
function decorateMethod(target, name, decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name);
  const decorated = Reflect.decorate(decorators, target.prototype, name, descriptor);
  Object.defineProperty(target.prototype, name, decorated ?? descriptor);
}

/** A parameter decorator bound to its position, as a method or constructor decorator (`__param`). */
function param(index, decorator) {
  return (target, key) => decorator(target, key, index);
}

/** The `design:paramtypes` metadata TypeScript emits (`emitDecoratorMetadata`). */
function paramTypes(...types) {
  return Reflect.metadata('design:paramtypes', types);
}

module.exports = { decorateClass, decorateMethod, param, paramTypes };
